package io.jamesacme.testca;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Checks a finalize CSR: valid PKCS#10 DER, a valid self-signature, and subject alternative
 * names that are exactly the order's email identifiers as rfc822Name entries.
 */
final class CsrValidator {
    private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();


    private CsrValidator() {
    }

    /**
     * Parses and checks {@code der} against the order's addresses, compared case-insensitively.
     *
     * @return the parsed request
     * @throws AcmeProblem of type badCSR naming the failed check
     */
    static PKCS10CertificationRequest validate(byte[] der, Set<String> orderAddresses)
            throws AcmeProblem {
        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(der);
        } catch (IOException | RuntimeException e) {
            throw AcmeProblem.badCsr("The CSR is not a valid DER-encoded PKCS#10 request: "
                    + e.getMessage());
        }
        verifySignature(csr);
        Set<String> csrAddresses = rfc822Names(csr);
        Set<String> expected = new TreeSet<>();
        orderAddresses.forEach(address -> expected.add(address.toLowerCase(Locale.ROOT)));
        Set<String> extra = new TreeSet<>(csrAddresses);
        extra.removeAll(expected);
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(csrAddresses);
        if (!extra.isEmpty() || !missing.isEmpty()) {
            throw AcmeProblem.badCsr("The CSR's rfc822Name SANs must equal the order's email "
                    + "identifiers " + expected + "; not in the order: " + extra
                    + "; missing from the CSR: " + missing);
        }
        return csr;
    }

    private static void verifySignature(PKCS10CertificationRequest csr) throws AcmeProblem {
        boolean valid;
        try {
            // The JDK has no KeyFactory registered under the EC key OID, so Bouncy Castle
            // converts the CSR's public key; the provider is not registered globally.
            valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
                    .setProvider(BOUNCY_CASTLE)
                    .build(csr.getSubjectPublicKeyInfo()));
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw AcmeProblem.badCsr("The CSR signature cannot be verified: " + e.getMessage());
        }
        if (!valid) {
            throw AcmeProblem.badCsr("The CSR signature is invalid");
        }
    }

    /** Extensions of the PKCS#9 extensionRequest attribute, or null if the CSR has none. */
    static Extensions requestedExtensions(PKCS10CertificationRequest csr) throws AcmeProblem {
        Attribute[] attributes =
                csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
        if (attributes.length == 0) {
            return null;
        }
        if (attributes.length > 1 || attributes[0].getAttrValues().size() != 1) {
            throw AcmeProblem.badCsr("The CSR must contain exactly one extensionRequest value");
        }
        try {
            return Extensions.getInstance(attributes[0].getAttrValues().getObjectAt(0));
        } catch (IllegalArgumentException e) {
            throw AcmeProblem.badCsr("The CSR's extensionRequest is malformed: " + e.getMessage());
        }
    }

    private static Set<String> rfc822Names(PKCS10CertificationRequest csr) throws AcmeProblem {
        Extensions extensions = requestedExtensions(csr);
        GeneralNames names = extensions == null ? null
                : GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
        if (names == null) {
            throw AcmeProblem.badCsr("The CSR has no subjectAltName extension; it must list the "
                    + "order's email identifiers as rfc822Name");
        }
        Set<String> addresses = new TreeSet<>();
        for (GeneralName name : names.getNames()) {
            if (name.getTagNo() != GeneralName.rfc822Name) {
                throw AcmeProblem.badCsr("The CSR contains a subjectAltName of tag "
                        + name.getTagNo() + " (" + name.getName() + "); only rfc822Name "
                        + "entries are allowed");
            }
            addresses.add(ASN1IA5String.getInstance(name.getName()).getString()
                    .toLowerCase(Locale.ROOT));
        }
        return addresses;
    }
}
