package io.jamesacme.testca;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parses the command line of {@link Main} into a {@link TestCaConfig}. */
final class CommandLineOptions {

    /** Environment variable read when {@code --imap-password} is absent. */
    static final String PASSWORD_VARIABLE = "TEST_CA_IMAP_PASSWORD";
    /** The one option that may be given more than once. */
    static final String FAULT_OPTION = "--fault";
    private static final String FAULT_FORMAT = "KIND:COUNT[:SECONDS]";
    /** Largest SECONDS of {@code --fault}: one day. */
    private static final int MAX_FAULT_SECONDS = 86_400;

    /** Invalid command line; the message names the option, the value and what is allowed. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private record Option(String argument, String defaultValue, String description) {
    }

    private static final Map<String, Option> OPTIONS = new LinkedHashMap<>();

    static {
        OPTIONS.put("--https-port", new Option("PORT", "14000",
                "HTTPS port on 127.0.0.1; 0 picks a free port"));
        OPTIONS.put("--state-dir", new Option("DIR", "./test-ca-state",
                "directory of the test root, the trust store, the DKIM key and the S/MIME "
                        + "signing certificate; created if missing"));
        OPTIONS.put("--smtp-host", new Option("HOST", "127.0.0.1",
                "SMTP server that receives the challenge mails"));
        OPTIONS.put("--smtp-port", new Option("PORT", "25", "SMTP port"));
        OPTIONS.put("--smtp-auth-user", new Option("USER", null,
                "log in with SMTP AUTH (PLAIN or LOGIN, no TLS) as USER before sending; "
                        + "needs --smtp-auth-password-file (default: no AUTH)"));
        OPTIONS.put("--smtp-auth-password-file", new Option("FILE", null,
                "file whose first line is the SMTP AUTH password"));
        OPTIONS.put("--imap-host", new Option("HOST", "127.0.0.1",
                "IMAP server of the CA's own mailbox"));
        OPTIONS.put("--imap-port", new Option("PORT", "143", "IMAP port (plain IMAP, no TLS)"));
        OPTIONS.put("--ca-address", new Option("ADDRESS", "acme-ca@localhost",
                "From address of challenge mails; responses go to it"));
        OPTIONS.put("--imap-user", new Option("USER", "the --ca-address value",
                "IMAP login of the CA's mailbox"));
        OPTIONS.put("--imap-password", new Option("PASSWORD",
                "the environment variable " + PASSWORD_VARIABLE,
                "IMAP password of the CA's mailbox; required"));
        OPTIONS.put("--challenge-timing", new Option("after-fetch|early", "after-fetch",
                "after-fetch: mail sent after the first authorization fetch; early: mail sent "
                        + "before the first authorization response"));
        OPTIONS.put("--challenge-signing", new Option("unsigned|bare|dkim|smime", "unsigned",
                "unsigned: plain challenge mail; bare: also without Message-ID, Date and "
                        + "Auto-Submitted; dkim: DKIM-signed with the key in the state "
                        + "directory; smime: S/MIME-signed with a certificate from the test root"));
        OPTIONS.put("--challenge-mail-delay-ms", new Option("MILLISECONDS", "1000",
                "after-fetch timing: delay between the first fetch and the mail"));
        OPTIONS.put("--early-hold-ms", new Option("MILLISECONDS", "3000",
                "early timing: delay of the first authorization response after the mail"));
        OPTIONS.put("--response-wait-seconds", new Option("SECONDS", "30",
                "maximum time to wait for the response mail after the challenge is triggered"));
        OPTIONS.put("--poll-interval-ms", new Option("MILLISECONDS", "500",
                "interval between two IMAP polls for the response"));
        OPTIONS.put("--cert-validity-days", new Option("DAYS", "90",
                "validity of issued S/MIME certificates"));
        OPTIONS.put(FAULT_OPTION, new Option(FAULT_FORMAT, null,
                "fail the next COUNT requests on purpose, for retry tests; KIND is "
                        + "SERVER_ERROR_500, UNAVAILABLE_503, RATE_LIMITED_429, BAD_NONCE or "
                        + "SLOW_RESPONSE; SECONDS is the Retry-After of UNAVAILABLE_503 and "
                        + "RATE_LIMITED_429 (default 1) or the response delay of SLOW_RESPONSE "
                        + "(default 60); repeatable, the faults apply in the order given "
                        + "(default: none)"));
        OPTIONS.put("--help", new Option(null, null, "print this help and exit"));
    }

    private CommandLineOptions() {
    }

    static String usage() {
        StringBuilder text = new StringBuilder("Usage: java -jar james-acme-smime-test-ca.jar "
                + "[OPTION]...\n\nRuns a local ACME (RFC 8555) test CA for S/MIME certificates "
                + "with the email-reply-00 challenge (RFC 8823) on https://127.0.0.1.\n\n"
                + "Options:\n");
        for (Map.Entry<String, Option> entry : OPTIONS.entrySet()) {
            Option option = entry.getValue();
            String name = option.argument() == null ? entry.getKey()
                    : entry.getKey() + " " + option.argument();
            text.append(String.format(Locale.ROOT, "  %-44s %s", name, option.description()));
            if (option.defaultValue() != null) {
                text.append(" (default: ").append(option.defaultValue()).append(')');
            }
            text.append('\n');
        }
        return text.toString();
    }

    /** Returns true if the arguments ask for the help text. */
    static boolean wantsHelp(String[] args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    static TestCaConfig parse(String[] args, Map<String, String> environment)
            throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> faultSpecs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            String value = null;
            int equals = name.indexOf('=');
            if (name.startsWith("--") && equals > 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            if (!OPTIONS.containsKey(name) || name.equals("--help")) {
                throw new UsageException("Unknown option '" + name + "'");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("Option " + name + " needs a value: "
                            + OPTIONS.get(name).argument());
                }
                value = args[++i];
            }
            if (name.equals(FAULT_OPTION)) {
                faultSpecs.add(value);
            } else {
                values.put(name, value);
            }
        }
        TestCaConfig.Builder builder = TestCaConfig.builder();
        for (String spec : faultSpecs) {
            builder.fault(fault(spec));
        }
        return toConfig(values, environment, builder);
    }

    private static TestCaConfig toConfig(Map<String, String> values,
            Map<String, String> environment, TestCaConfig.Builder builder)
            throws UsageException {
        String caAddress = text(values, "--ca-address");
        String password = values.getOrDefault("--imap-password",
                environment.get(PASSWORD_VARIABLE));
        if (password == null) {
            throw new UsageException("Missing --imap-password: give the IMAP password of "
                    + "the CA's mailbox, or set the environment variable " + PASSWORD_VARIABLE);
        }
        String imapUser = values.getOrDefault("--imap-user", caAddress);
        String authUser = values.get("--smtp-auth-user");
        String authPasswordFile = values.get("--smtp-auth-password-file");
        if (authUser != null || authPasswordFile != null) {
            if (authUser == null || authPasswordFile == null) {
                throw new UsageException("--smtp-auth-user and --smtp-auth-password-file must "
                        + "be given together");
            }
            builder.smtpAuth(text(values, "--smtp-auth-user"),
                    firstLine(path(values, "--smtp-auth-password-file"),
                            "--smtp-auth-password-file"));
        }
        return builder
                .httpsPort(integer(values, "--https-port", 0, 65535))
                .stateDirectory(path(values, "--state-dir"))
                .smtp(text(values, "--smtp-host"), integer(values, "--smtp-port", 1, 65535))
                .imap(text(values, "--imap-host"), integer(values, "--imap-port", 1, 65535),
                        imapUser, password)
                .caAddress(caAddress)
                .challengeTiming(timing(values))
                .challengeSigning(signing(values))
                .challengeMailDelay(Duration.ofMillis(
                        integer(values, "--challenge-mail-delay-ms", 0, 600_000)))
                .earlyChallengeHold(Duration.ofMillis(
                        integer(values, "--early-hold-ms", 0, 600_000)))
                .responseWait(Duration.ofSeconds(
                        integer(values, "--response-wait-seconds", 1, 3600)))
                .pollInterval(Duration.ofMillis(integer(values, "--poll-interval-ms", 10, 60_000)))
                .certificateValidity(Duration.ofDays(
                        integer(values, "--cert-validity-days", 1, 3650)))
                .build();
    }

    private static String raw(Map<String, String> values, String name) {
        return values.getOrDefault(name, OPTIONS.get(name).defaultValue());
    }

    private static String text(Map<String, String> values, String name) throws UsageException {
        String value = raw(values, name);
        if (value.isBlank()) {
            throw new UsageException("Invalid value '' for " + name + ": expected "
                    + OPTIONS.get(name).argument());
        }
        return value;
    }

    private static int integer(Map<String, String> values, String name, int min, int max)
            throws UsageException {
        String value = raw(values, name);
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Reported below with the allowed range.
        }
        throw new UsageException("Invalid value '" + value + "' for " + name
                + ": expected an integer from " + min + " to " + max);
    }

    private static Path path(Map<String, String> values, String name) throws UsageException {
        String value = text(values, name);
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException("Invalid value '" + value + "' for " + name
                    + ": expected a file system path (" + e.getReason() + ")");
        }
    }

    private static ChallengeSigning signing(Map<String, String> values) throws UsageException {
        String value = raw(values, "--challenge-signing");
        return switch (value) {
            case "unsigned" -> ChallengeSigning.UNSIGNED;
            case "bare" -> ChallengeSigning.BARE;
            case "dkim" -> ChallengeSigning.DKIM;
            case "smime" -> ChallengeSigning.SMIME;
            default -> throw new UsageException("Invalid value '" + value
                    + "' for --challenge-signing: expected unsigned, bare, dkim or smime");
        };
    }

    /** Returns the first line of {@code file} without its line end; it must not be empty. */
    private static String firstLine(Path file, String option) throws UsageException {
        String line;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            line = reader.readLine();
        } catch (IOException e) {
            throw new UsageException("Cannot read " + file + " given by " + option + ": " + e);
        }
        if (line == null || line.isEmpty()) {
            throw new UsageException("The first line of " + file + " given by " + option
                    + " is empty; it must contain the password");
        }
        return line;
    }

    /** Parses one {@code --fault KIND:COUNT[:SECONDS]} value. */
    static Fault fault(String spec) throws UsageException {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new UsageException("Invalid value '" + spec + "' for " + FAULT_OPTION
                    + ": expected " + FAULT_FORMAT + ", such as RATE_LIMITED_429:2:5");
        }
        FaultKind kind = faultKind(spec, parts[0]);
        int count = faultNumber(spec, "COUNT", parts[1], 1, Integer.MAX_VALUE);
        Fault fault = Fault.of(kind, count);
        if (parts.length == 2) {
            return fault;
        }
        Duration seconds = Duration.ofSeconds(
                faultNumber(spec, "SECONDS", parts[2], 0, MAX_FAULT_SECONDS));
        try {
            return kind == FaultKind.SLOW_RESPONSE ? fault.withDelay(seconds)
                    : fault.withRetryAfter(seconds);
        } catch (IllegalArgumentException e) {
            throw new UsageException("Invalid value '" + spec + "' for " + FAULT_OPTION
                    + ": SECONDS applies only to UNAVAILABLE_503 and RATE_LIMITED_429 (from 0) "
                    + "and to SLOW_RESPONSE (from 1)");
        }
    }

    private static FaultKind faultKind(String spec, String name) throws UsageException {
        FaultKind kind;
        try {
            kind = FaultKind.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("Invalid fault kind '" + name + "' in " + FAULT_OPTION
                    + " " + spec + ": expected SERVER_ERROR_500, UNAVAILABLE_503, "
                    + "RATE_LIMITED_429, BAD_NONCE or SLOW_RESPONSE");
        }
        if (kind == FaultKind.CONNECTION_REFUSED) {
            throw new UsageException(FAULT_OPTION + " does not take CONNECTION_REFUSED, "
                    + "because refusing connections from the start is the same as starting "
                    + "the CA later; tests call TestCa.inject(Fault.refuseConnectionsFor(...))");
        }
        return kind;
    }

    private static int faultNumber(String spec, String part, String value, int min, int max)
            throws UsageException {
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Reported below with the allowed range.
        }
        throw new UsageException("Invalid " + part + " '" + value + "' in " + FAULT_OPTION
                + " " + spec + ": expected an integer from " + min + " to " + max);
    }

    private static ChallengeTiming timing(Map<String, String> values) throws UsageException {
        String value = raw(values, "--challenge-timing");
        return switch (value) {
            case "after-fetch" -> ChallengeTiming.AFTER_AUTHORIZATION_FETCH;
            case "early" -> ChallengeTiming.BEFORE_AUTHORIZATION_RESPONSE;
            default -> throw new UsageException("Invalid value '" + value
                    + "' for --challenge-timing: expected after-fetch or early");
        };
    }
}
