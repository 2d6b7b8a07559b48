package io.jamesacme.smime.authenticity;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** A way a challenge mail can prove that it comes from the CA, as named in the configuration. */
public enum AuthenticityMethod {
    /** A valid DKIM signature of the From domain over the fields RFC 8823 requires. */
    DKIM("dkim"),
    /** An S/MIME signature by a certificate for the From address that chains to a trust anchor. */
    SMIME("smime"),
    /** Submitted on this James over SMTP AUTH by the account configured for the CA. */
    TRUSTED_LOCAL_SENDER("trusted-local-sender"),
    /** No proof at all, for a lab only. Every use is logged as a warning. */
    INSECURE_UNSIGNED("insecure-unsigned");

    private final String configValue;

    AuthenticityMethod(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    public static Optional<AuthenticityMethod> fromConfigValue(String value) {
        String normalized = value.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(method -> method.configValue.equals(normalized))
            .findFirst();
    }

    /** Returns the accepted configuration values, comma-separated, for error messages. */
    public static String allowedValues() {
        return Arrays.stream(values()).map(AuthenticityMethod::configValue)
            .collect(Collectors.joining(", "));
    }
}
