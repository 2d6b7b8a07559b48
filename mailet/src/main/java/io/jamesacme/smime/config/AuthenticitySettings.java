package io.jamesacme.smime.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import io.jamesacme.smime.authenticity.AuthenticityMethod;

/**
 * The CA profile: how challenge mails from the configured CA prove that they are authentic.
 *
 * @param methods the accepted methods, of which one must accept a mail
 * @param dkimKeyFile the lab file of DKIM key records, or empty for DNS through James
 * @param smimeTrustAnchors the PEM file of trust anchors for S/MIME signers
 * @param trustedSmtpUser the SMTP AUTH user the CA submits with, for trusted-local-sender
 * @param trustedAddress the From address of the CA's submitted mails, for trusted-local-sender
 */
public record AuthenticitySettings(Set<AuthenticityMethod> methods, Optional<Path> dkimKeyFile,
                                   Optional<Path> smimeTrustAnchors, Optional<String> trustedSmtpUser,
                                   Optional<String> trustedAddress) {

    public static final String METHODS = "ca.authenticity";
    public static final String DKIM_KEY_SOURCE = "ca.dkim.key-source";
    public static final String SMIME_TRUST_ANCHORS = "ca.smime.trust-anchors";
    public static final String TRUSTED_SMTP_USER = "ca.trusted-sender.smtp-user";
    public static final String TRUSTED_ADDRESS = "ca.trusted-sender.address";

    /** The default, strict as RFC 8823 requires: a DKIM or an S/MIME signature. */
    public static final String DEFAULT_METHODS = "dkim,smime";

    public AuthenticitySettings {
        methods = Set.copyOf(methods);
    }

    /** Reads the settings; {@code read} returns a stripped, non-empty value or empty. */
    static AuthenticitySettings read(Function<String, Optional<String>> read, Path baseDirectory) {
        String methodsValue = read.apply(METHODS).orElse(DEFAULT_METHODS);
        Set<AuthenticityMethod> methods = new LinkedHashSet<>();
        for (String item : methodsValue.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            methods.add(AuthenticityMethod.fromConfigValue(item).orElseThrow(() ->
                new InvalidConfigurationException(METHODS, methodsValue, "expected a comma-separated "
                    + "list of " + AuthenticityMethod.allowedValues())));
        }
        if (methods.isEmpty()) {
            throw new InvalidConfigurationException(METHODS, methodsValue,
                "expected at least one of " + AuthenticityMethod.allowedValues());
        }
        if (methods.contains(AuthenticityMethod.INSECURE_UNSIGNED) && methods.size() > 1) {
            throw new InvalidConfigurationException(METHODS, methodsValue,
                "insecure-unsigned accepts every mail, so it cannot be combined with other methods");
        }

        Optional<Path> dkimKeyFile = read.apply(DKIM_KEY_SOURCE).flatMap(value -> {
            if (value.equals("dns")) {
                return Optional.empty();
            }
            if (!value.startsWith("file:") || value.length() == "file:".length()) {
                throw new InvalidConfigurationException(DKIM_KEY_SOURCE, value,
                    "expected dns or file:<path>");
            }
            return Optional.of(readableFile(DKIM_KEY_SOURCE, value, baseDirectory.resolve(
                value.substring("file:".length()))));
        });
        Optional<Path> anchors = read.apply(SMIME_TRUST_ANCHORS)
            .map(value -> readableFile(SMIME_TRUST_ANCHORS, value, baseDirectory.resolve(value)));

        Optional<String> smtpUser = read.apply(TRUSTED_SMTP_USER);
        Optional<String> address = read.apply(TRUSTED_ADDRESS)
            .or(() -> smtpUser.filter(user -> user.contains("@")));
        if (methods.contains(AuthenticityMethod.TRUSTED_LOCAL_SENDER)) {
            if (smtpUser.isEmpty()) {
                throw InvalidConfigurationException.missing(TRUSTED_SMTP_USER,
                    "required when " + METHODS + " contains trusted-local-sender");
            }
            if (address.isEmpty()) {
                throw InvalidConfigurationException.missing(TRUSTED_ADDRESS,
                    "required when " + TRUSTED_SMTP_USER + " is not a mail address");
            }
        }
        return new AuthenticitySettings(EnumSet.copyOf(methods), dkimKeyFile, anchors, smtpUser, address);
    }

    private static Path readableFile(String parameter, String value, Path file) {
        if (!Files.isReadable(file)) {
            throw new InvalidConfigurationException(parameter, value,
                "expected a readable file, but " + file + " is missing or unreadable");
        }
        return file;
    }
}
