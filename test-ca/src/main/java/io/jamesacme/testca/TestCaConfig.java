package io.jamesacme.testca;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of a {@link TestCa}: HTTPS port, state directory, the SMTP and IMAP endpoints of the
 * mail server that hosts the tested mailboxes, the timing of the email-reply-00 challenge, and
 * how challenge mails are signed and sent, and the faults injected at start. Create one with
 * {@link #builder()}.
 */
public final class TestCaConfig {

    /** Default time the CA waits before it sends the challenge mail in the default timing. */
    public static final Duration DEFAULT_CHALLENGE_MAIL_DELAY = Duration.ofSeconds(1);
    /** Default delay of the first authorization response in the early timing. */
    public static final Duration DEFAULT_EARLY_CHALLENGE_HOLD = Duration.ofSeconds(3);
    /** Default maximum time the CA polls its IMAP inbox for the challenge response. */
    public static final Duration DEFAULT_RESPONSE_WAIT = Duration.ofSeconds(30);
    /** Default interval between two IMAP polls. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);
    /** Default validity of issued end-entity certificates. */
    public static final Duration DEFAULT_CERTIFICATE_VALIDITY = Duration.ofDays(90);

    private final int httpsPort;
    private final Path stateDirectory;
    private final String smtpHost;
    private final int smtpPort;
    private final String imapHost;
    private final int imapPort;
    private final String imapUser;
    private final String imapPassword;
    private final String caAddress;
    private final ChallengeTiming challengeTiming;
    private final Duration challengeMailDelay;
    private final Duration earlyChallengeHold;
    private final Duration responseWait;
    private final Duration pollInterval;
    private final Duration certificateValidity;
    private final ChallengeSigning challengeSigning;
    private final boolean challengeMailHeld;
    private final String smtpAuthUser;
    private final String smtpAuthPassword;
    private final List<Fault> faults;

    private TestCaConfig(Builder builder) {
        this.httpsPort = builder.httpsPort;
        this.stateDirectory = builder.stateDirectory;
        this.smtpHost = builder.smtpHost;
        this.smtpPort = builder.smtpPort;
        this.imapHost = builder.imapHost;
        this.imapPort = builder.imapPort;
        this.imapUser = builder.imapUser;
        this.imapPassword = builder.imapPassword;
        this.caAddress = builder.caAddress;
        this.challengeTiming = builder.challengeTiming;
        this.challengeMailDelay = builder.challengeMailDelay;
        this.earlyChallengeHold = builder.earlyChallengeHold;
        this.responseWait = builder.responseWait;
        this.pollInterval = builder.pollInterval;
        this.certificateValidity = builder.certificateValidity;
        this.challengeSigning = builder.challengeSigning;
        this.challengeMailHeld = builder.challengeMailHeld;
        this.smtpAuthUser = builder.smtpAuthUser;
        this.smtpAuthPassword = builder.smtpAuthPassword;
        this.faults = List.copyOf(builder.faults);
    }

    /** Returns a builder with the defaults documented on its setters. */
    public static Builder builder() {
        return new Builder();
    }

    /** HTTPS port on 127.0.0.1, or 0 for an ephemeral port chosen at start. */
    public int httpsPort() {
        return httpsPort;
    }

    /** Directory that stores the root key, the root certificate and the trust store. */
    public Path stateDirectory() {
        return stateDirectory;
    }

    public String smtpHost() {
        return smtpHost;
    }

    public int smtpPort() {
        return smtpPort;
    }

    public String imapHost() {
        return imapHost;
    }

    public int imapPort() {
        return imapPort;
    }

    public String imapUser() {
        return imapUser;
    }

    public String imapPassword() {
        return imapPassword;
    }

    /** Address in the From header of challenge mails and in the challenge's {@code from} field. */
    public String caAddress() {
        return caAddress;
    }

    public ChallengeTiming challengeTiming() {
        return challengeTiming;
    }

    /** Delay between the first authorization fetch and the challenge mail in the default timing. */
    public Duration challengeMailDelay() {
        return challengeMailDelay;
    }

    /** Delay of the first authorization response after the mail in the early timing. */
    public Duration earlyChallengeHold() {
        return earlyChallengeHold;
    }

    /** Maximum time the CA polls its inbox for a response after the challenge was triggered. */
    public Duration responseWait() {
        return responseWait;
    }

    public Duration pollInterval() {
        return pollInterval;
    }

    public Duration certificateValidity() {
        return certificateValidity;
    }

    public ChallengeSigning challengeSigning() {
        return challengeSigning;
    }

    /** True if only calls of {@link TestCa#sendChallengeMail} send challenge mails. */
    public boolean challengeMailHeld() {
        return challengeMailHeld;
    }

    /** SMTP AUTH user for sending challenge mails; empty for plain SMTP without AUTH. */
    public Optional<String> smtpAuthUser() {
        return Optional.ofNullable(smtpAuthUser);
    }

    public Optional<String> smtpAuthPassword() {
        return Optional.ofNullable(smtpAuthPassword);
    }

    /** Faults that {@link TestCa#start} injects in this order, none by default. */
    public List<Fault> faults() {
        return faults;
    }

    /** Domain part of {@link #caAddress()}; DKIM signatures use it as d=. */
    String caDomain() {
        return caAddress.substring(caAddress.lastIndexOf('@') + 1);
    }

    /** Builder of {@link TestCaConfig}; {@link #build()} checks every value. */
    public static final class Builder {
        private int httpsPort = 0;
        private Path stateDirectory;
        private String smtpHost = "127.0.0.1";
        private int smtpPort = 25;
        private String imapHost = "127.0.0.1";
        private int imapPort = 143;
        private String imapUser;
        private String imapPassword;
        private String caAddress;
        private ChallengeTiming challengeTiming = ChallengeTiming.AFTER_AUTHORIZATION_FETCH;
        private Duration challengeMailDelay = DEFAULT_CHALLENGE_MAIL_DELAY;
        private Duration earlyChallengeHold = DEFAULT_EARLY_CHALLENGE_HOLD;
        private Duration responseWait = DEFAULT_RESPONSE_WAIT;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration certificateValidity = DEFAULT_CERTIFICATE_VALIDITY;
        private ChallengeSigning challengeSigning = ChallengeSigning.UNSIGNED;
        private boolean challengeMailHeld;
        private String smtpAuthUser;
        private String smtpAuthPassword;
        private final List<Fault> faults = new ArrayList<>();

        private Builder() {
        }

        /** Sets the HTTPS port; default 0, an ephemeral port. */
        public Builder httpsPort(int port) {
            this.httpsPort = port;
            return this;
        }

        /** Sets the state directory; required. It is created if missing. */
        public Builder stateDirectory(Path directory) {
            this.stateDirectory = directory;
            return this;
        }

        /** Sets the SMTP server that receives challenge mails; default 127.0.0.1:25. */
        public Builder smtp(String host, int port) {
            this.smtpHost = host;
            this.smtpPort = port;
            return this;
        }

        /** Sets the IMAP server and the CA's login there; user and password are required. */
        public Builder imap(String host, int port, String user, String password) {
            this.imapHost = host;
            this.imapPort = port;
            this.imapUser = user;
            this.imapPassword = password;
            return this;
        }

        /** Sets the CA's mail address; required. */
        public Builder caAddress(String address) {
            this.caAddress = address;
            return this;
        }

        /** Sets the challenge timing; default {@link ChallengeTiming#AFTER_AUTHORIZATION_FETCH}. */
        public Builder challengeTiming(ChallengeTiming timing) {
            this.challengeTiming = timing;
            return this;
        }

        /** Sets the mail delay of the default timing; default 1 s. */
        public Builder challengeMailDelay(Duration delay) {
            this.challengeMailDelay = delay;
            return this;
        }

        /** Sets the response hold of the early timing; default 3 s. */
        public Builder earlyChallengeHold(Duration hold) {
            this.earlyChallengeHold = hold;
            return this;
        }

        /** Sets the maximum wait for the challenge response; default 30 s. */
        public Builder responseWait(Duration wait) {
            this.responseWait = wait;
            return this;
        }

        /** Sets the IMAP poll interval; default 500 ms. */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = interval;
            return this;
        }

        /** Sets the validity of issued certificates; default 90 days. */
        public Builder certificateValidity(Duration validity) {
            this.certificateValidity = validity;
            return this;
        }

        /** Sets how challenge mails are signed; default {@link ChallengeSigning#UNSIGNED}. */
        public Builder challengeSigning(ChallengeSigning signing) {
            this.challengeSigning = signing;
            return this;
        }

        /**
         * Sets whether the CA holds back its challenge mails; default false. A held CA sends
         * one only when {@link TestCa#sendChallengeMail} is called, so tests can send their own
         * mail in its place.
         */
        public Builder challengeMailHeld(boolean held) {
            this.challengeMailHeld = held;
            return this;
        }

        /** Sets SMTP AUTH credentials for sending challenge mails; default none, plain SMTP. */
        public Builder smtpAuth(String user, String password) {
            this.smtpAuthUser = user;
            this.smtpAuthPassword = password;
            return this;
        }

        /** Adds a fault that {@link TestCa#start} injects as {@link TestCa#inject} does. */
        public Builder fault(Fault fault) {
            this.faults.add(Objects.requireNonNull(fault, "fault is required"));
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalArgumentException if a value is out of range
         * @throws NullPointerException if a required value is missing
         */
        public TestCaConfig build() {
            requirePort("httpsPort", httpsPort, 0);
            requirePort("smtpPort", smtpPort, 1);
            requirePort("imapPort", imapPort, 1);
            Objects.requireNonNull(stateDirectory, "stateDirectory is required");
            requireText("smtpHost", smtpHost);
            requireText("imapHost", imapHost);
            requireText("imapUser", imapUser);
            Objects.requireNonNull(imapPassword, "imapPassword is required");
            requireText("caAddress", caAddress);
            requireAddressWithDomain(caAddress);
            Objects.requireNonNull(challengeTiming, "challengeTiming is required");
            requireNotNegative("challengeMailDelay", challengeMailDelay);
            requireNotNegative("earlyChallengeHold", earlyChallengeHold);
            requirePositive("responseWait", responseWait);
            requirePositive("pollInterval", pollInterval);
            requirePositive("certificateValidity", certificateValidity);
            Objects.requireNonNull(challengeSigning, "challengeSigning is required");
            if (smtpAuthUser != null || smtpAuthPassword != null) {
                requireText("smtpAuth user", smtpAuthUser);
                Objects.requireNonNull(smtpAuthPassword, "smtpAuth password is required");
            }
            return new TestCaConfig(this);
        }

        private static void requireAddressWithDomain(String address) {
            int at = address.lastIndexOf('@');
            if (at <= 0 || at == address.length() - 1) {
                throw new IllegalArgumentException("caAddress '" + address
                        + "' is invalid: expected local-part@domain");
            }
        }

        private static void requirePort(String name, int port, int min) {
            if (port < min || port > 65535) {
                throw new IllegalArgumentException(
                        name + " " + port + " is invalid: expected " + min + " to 65535");
            }
        }

        private static void requireText(String name, String value) {
            Objects.requireNonNull(value, name + " is required");
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
        }

        private static void requireNotNegative(String name, Duration value) {
            Objects.requireNonNull(value, name + " is required");
            if (value.isNegative()) {
                throw new IllegalArgumentException(name + " " + value + " must not be negative");
            }
        }

        private static void requirePositive(String name, Duration value) {
            Objects.requireNonNull(value, name + " is required");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " " + value + " must be positive");
            }
        }
    }
}
