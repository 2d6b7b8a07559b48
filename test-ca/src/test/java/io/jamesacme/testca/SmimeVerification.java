package io.jamesacme.testca;

import java.io.ByteArrayInputStream;
import java.security.Provider;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import javax.mail.Session;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignerDigestMismatchException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.mail.smime.SMIMESigned;

/**
 * The checks a recipient makes on an S/MIME signed challenge mail, each on its own so that a
 * test can show which one a bad signer fails. Parsing and CMS verification are Bouncy Castle's.
 */
final class SmimeVerification {

    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private final MimeMessage message;
    private final SMIMESigned signed;
    private final SignerInformation signer;
    private final X509Certificate signerCertificate;

    private SmimeVerification(MimeMessage message, SMIMESigned signed) throws Exception {
        this.message = message;
        this.signed = signed;
        Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new AssertionError("Expected one signer, found " + signers.size());
        }
        this.signer = signers.iterator().next();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> matches =
                signed.getCertificates().getMatches(signer.getSID());
        if (matches.size() != 1) {
            throw new AssertionError("Expected the signer's certificate in the mail, found "
                    + matches.size());
        }
        this.signerCertificate = new JcaX509CertificateConverter().setProvider(BOUNCY_CASTLE)
                .getCertificate(matches.iterator().next());
    }

    /** Parses a multipart/signed or application/pkcs7-mime signed-data mail. */
    static SmimeVerification of(byte[] rawMessage) throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(rawMessage));
        if (message.isMimeType("multipart/signed")) {
            return new SmimeVerification(message,
                    new SMIMESigned((MimeMultipart) message.getContent()));
        }
        if (message.isMimeType("application/pkcs7-mime")) {
            return new SmimeVerification(message, new SMIMESigned(message));
        }
        throw new AssertionError("Not an S/MIME signed mail: " + message.getContentType());
    }

    MimeMessage message() {
        return message;
    }

    /** Returns the signed part, with the protected header fields and the body. */
    MimeBodyPart signedPart() {
        return signed.getContent();
    }

    X509Certificate signerCertificate() {
        return signerCertificate;
    }

    /** Returns true if the CMS signature matches the content and the certificate's key. */
    boolean signatureIsValid() throws Exception {
        try {
            // The public key alone, so that this check ignores the certificate's validity.
            return signer.verify(new JcaSimpleSignerInfoVerifierBuilder()
                    .setProvider(BOUNCY_CASTLE).build(signerCertificate.getPublicKey()));
        } catch (CMSSignerDigestMismatchException e) {
            return false;
        }
    }

    /** Validates the signer certificate with PKIX against {@code root}, now, without CRLs. */
    Optional<CertPathValidatorException> chainProblem(X509Certificate root) throws Exception {
        CertPath path = CertificateFactory.getInstance("X.509")
                .generateCertPath(List.of(signerCertificate));
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        parameters.setRevocationEnabled(false);
        try {
            CertPathValidator.getInstance("PKIX").validate(path, parameters);
            return Optional.empty();
        } catch (CertPathValidatorException e) {
            return Optional.of(e);
        }
    }

    /** Returns the rfc822Name entries of the signer certificate's subjectAltName. */
    List<String> signerAddresses() throws Exception {
        List<String> addresses = new ArrayList<>();
        Collection<List<?>> names = signerCertificate.getSubjectAlternativeNames();
        if (names != null) {
            for (List<?> name : names) {
                if (Integer.valueOf(1).equals(name.get(0))) {
                    addresses.add((String) name.get(1));
                }
            }
        }
        return addresses;
    }
}
