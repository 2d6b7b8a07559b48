package io.jamesacme.smime.authenticity;

import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;
import org.apache.james.jdkim.mailets.DKIMVerifier;
import org.apache.james.jdkim.tagvalue.PublicKeyRecordImpl;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * Accepts a challenge mail that carries a valid DKIM signature (RFC 6376) whose signing domain
 * is the From domain and whose {@code h=} tag covers every field RFC 8823 section 3.1 requires.
 * The verification is jDKIM's, the library of James' own DKIMVerify mailet. Signatures that
 * RFC 8301 forbids (rsa-sha1, RSA keys under 1024 bits) and keys in testing mode do not count.
 */
public final class DkimCheck implements AuthenticityCheck {

    /**
     * The header fields RFC 8823 section 3.1 requires the DKIM signature of a challenge mail to
     * cover. A field may be absent from the mail, and listing it in {@code h=} then signs its
     * absence, so a field of that name added later breaks the signature.
     * NOTE: the RFC text could not be opened where this was written. The list matches the
     * check of an independent RFC 8823 client. Compare it with section 3.1 before relying on it.
     */
    public static final List<String> REQUIRED_SIGNED_FIELDS = List.of(
        "from", "sender", "reply-to", "to", "cc", "subject", "date", "in-reply-to", "references",
        "message-id", "content-type", "content-transfer-encoding");

    /** The smallest RSA key a verifier may accept (RFC 8301 section 3.2). */
    static final int MIN_RSA_KEY_BITS = 1024;

    private final DKIMVerifier verifier;

    public DkimCheck(PublicKeyRecordRetriever keys) {
        this.verifier = new DKIMVerifier(usableKeys(keys));
    }

    @Override
    public AuthenticityMethod method() {
        return AuthenticityMethod.DKIM;
    }

    @Override
    public Verdict check(MimeMessage message, InternetAddress from, Optional<String> smtpAuthUser) {
        List<SignatureRecord> passing;
        try {
            passing = verifier.verify(message, true);
        } catch (TempFailException e) {
            return Verdict.rejected(RejectionReason.DKIM_TEMPERROR,
                "the DKIM key could not be fetched: " + e.getMessage());
        } catch (FailException e) {
            return Verdict.rejected(RejectionReason.DKIM_FAIL, "no DKIM signature verifies: "
                + e.getMessage());
        } catch (MessagingException | RuntimeException e) {
            return Verdict.rejected(RejectionReason.DKIM_FAIL, "the DKIM signature cannot be checked: "
                + e);
        }
        if (passing == null || passing.isEmpty()) {
            return Verdict.rejected(RejectionReason.DKIM_NONE, "the mail has no DKIM signature");
        }

        // jDKIM 0.3 still verifies rsa-sha1, which RFC 8301 section 3.1 forbids verifiers to
        // accept.
        List<SignatureRecord> strong = passing.stream()
            .filter(record -> !"sha1".equalsIgnoreCase(record.getHashMethod().toString()))
            .toList();
        if (strong.isEmpty()) {
            return Verdict.rejected(RejectionReason.DKIM_FAIL, "the only valid DKIM signatures use "
                + "rsa-sha1, which RFC 8301 forbids");
        }
        passing = strong;

        String fromDomain = domainOf(from);
        List<SignatureRecord> aligned = passing.stream()
            .filter(record -> record.getDToken().toString().toLowerCase(Locale.ROOT).equals(fromDomain))
            .toList();
        if (aligned.isEmpty()) {
            return Verdict.rejected(RejectionReason.DKIM_DOMAIN_MISMATCH, "the valid DKIM signatures "
                + "are by " + passing.stream().map(record -> record.getDToken().toString())
                    .collect(Collectors.joining(", ")) + ", not by the From domain " + fromDomain);
        }

        RejectionReason lastReason = null;
        String lastDetail = null;
        for (SignatureRecord record : aligned) {
            if (record.getBodyHashLimit() != -1) {
                lastReason = RejectionReason.DKIM_BODY_LENGTH_LIMIT;
                lastDetail = "the DKIM signature of " + fromDomain + " covers only the first "
                    + record.getBodyHashLimit() + " bytes of the body (l= tag)";
                continue;
            }
            List<String> missing = missingFields(record);
            if (!missing.isEmpty()) {
                lastReason = RejectionReason.DKIM_HEADERS_UNSIGNED;
                lastDetail = "the DKIM signature of " + fromDomain + " does not cover " + missing;
                continue;
            }
            return Verdict.authentic(AuthenticityMethod.DKIM, "DKIM signature of " + fromDomain
                + " with selector " + record.getSelector());
        }
        return Verdict.rejected(lastReason, lastDetail);
    }

    /**
     * Wraps the key lookup so that jDKIM 0.3 never receives a key record that a verifier must not
     * use: an RSA key under {@value #MIN_RSA_KEY_BITS} bits (RFC 8301 section 3.2) or a key in
     * testing mode, {@code t=y}, whose signatures count as absent (RFC 6376 section 3.6.1).
     * When every record is dropped for one of these reasons, the lookup fails permanently.
     */
    private static PublicKeyRecordRetriever usableKeys(PublicKeyRecordRetriever keys) {
        return (method, selector, domain) -> {
            List<String> records = keys.getRecords(method, selector, domain);
            if (records == null) {
                return null;
            }
            List<String> usable = new ArrayList<>();
            Optional<String> lastProblem = Optional.empty();
            for (String record : records) {
                Optional<String> problem = forbiddenKeyProblem(record);
                if (problem.isEmpty()) {
                    usable.add(record);
                } else {
                    lastProblem = problem;
                }
            }
            if (usable.isEmpty() && lastProblem.isPresent()) {
                throw new PermFailException("the DKIM key record at " + selector + "._domainkey."
                    + domain + " is unusable: " + lastProblem.get());
            }
            return usable;
        };
    }

    /** Returns why a verifier must not use the key record, or empty. jDKIM rejects bad syntax. */
    private static Optional<String> forbiddenKeyProblem(String record) {
        PublicKey key;
        try {
            PublicKeyRecordImpl parsed = new PublicKeyRecordImpl(record);
            parsed.validate();
            if (parsed.isTesting()) {
                return Optional.of("the key is in testing mode (t=y)");
            }
            key = parsed.getPublicKey();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_KEY_BITS) {
            return Optional.of("the RSA key has " + rsa.getModulus().bitLength()
                + " bits, fewer than " + MIN_RSA_KEY_BITS);
        }
        return Optional.empty();
    }

    private static List<String> missingFields(SignatureRecord record) {
        Set<String> signed = record.getHeaders().stream()
            .map(name -> name.toString().strip().toLowerCase(Locale.ROOT))
            .collect(Collectors.toSet());
        return REQUIRED_SIGNED_FIELDS.stream().filter(field -> !signed.contains(field)).toList();
    }

    private static String domainOf(InternetAddress address) {
        String value = address.getAddress();
        return value.substring(value.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    }
}
