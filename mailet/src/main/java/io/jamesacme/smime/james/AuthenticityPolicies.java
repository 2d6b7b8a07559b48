package io.jamesacme.smime.james;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.authenticity.AuthenticityCheck;
import io.jamesacme.smime.authenticity.AuthenticityMethod;
import io.jamesacme.smime.authenticity.AuthenticityPolicy;
import io.jamesacme.smime.authenticity.DkimCheck;
import io.jamesacme.smime.authenticity.DkimKeyRecords;
import io.jamesacme.smime.authenticity.SmimeCheck;
import io.jamesacme.smime.authenticity.TrustedSenderCheck;
import io.jamesacme.smime.config.AuthenticitySettings;

/** Builds the {@link AuthenticityPolicy} of the CA profile from the configuration. */
final class AuthenticityPolicies {
    private static final Logger LOGGER = LoggerFactory.getLogger(AuthenticityPolicies.class);

    private AuthenticityPolicies() {
    }

    static AuthenticityPolicy create(AuthenticitySettings settings, DNSService dnsService) {
        if (settings.methods().contains(AuthenticityMethod.INSECURE_UNSIGNED)) {
            LOGGER.warn("ACME S/MIME: ca.authenticity=insecure-unsigned: challenge mails are "
                + "answered WITHOUT a DKIM or S/MIME check. Anyone who can send mail here can "
                + "take the answer of a pending order. Use this in a lab only.");
            return AuthenticityPolicy.insecureUnsigned();
        }
        List<AuthenticityCheck> checks = new ArrayList<>();
        for (AuthenticityMethod method : AuthenticityMethod.values()) {
            if (!settings.methods().contains(method)) {
                continue;
            }
            switch (method) {
                case DKIM -> checks.add(new DkimCheck(keys(settings, dnsService)));
                case SMIME -> checks.add(new SmimeCheck(anchors(settings)));
                case TRUSTED_LOCAL_SENDER -> checks.add(new TrustedSenderCheck(
                    settings.trustedSmtpUser().orElseThrow(), settings.trustedAddress().orElseThrow()));
                case INSECURE_UNSIGNED -> throw new IllegalStateException("handled above");
            }
        }
        LOGGER.info("ACME S/MIME: challenge mails must pass one of {}", settings.methods());
        return AuthenticityPolicy.anyOf(checks);
    }

    private static PublicKeyRecordRetriever keys(AuthenticitySettings settings, DNSService dnsService) {
        if (settings.dkimKeyFile().isPresent()) {
            LOGGER.warn("ACME S/MIME: DKIM keys are read from {} instead of DNS ({}); use this in a "
                + "lab only", settings.dkimKeyFile().get(), AuthenticitySettings.DKIM_KEY_SOURCE);
            return DkimKeyRecords.file(settings.dkimKeyFile().get());
        }
        return DkimKeyRecords.dns(dnsService);
    }

    private static List<X509Certificate> anchors(AuthenticitySettings settings) {
        if (settings.smimeTrustAnchors().isEmpty()) {
            LOGGER.warn("ACME S/MIME: {} is not set, so no S/MIME-signed challenge can pass",
                AuthenticitySettings.SMIME_TRUST_ANCHORS);
            return List.of();
        }
        List<X509Certificate> anchors = SmimeCheck.readTrustAnchors(settings.smimeTrustAnchors().get());
        LOGGER.info("ACME S/MIME: {} S/MIME trust anchor(s) from {}", anchors.size(),
            settings.smimeTrustAnchors().get());
        return anchors;
    }
}
