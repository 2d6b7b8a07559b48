package io.jamesacme.testca;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.List;
import java.util.Properties;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Session;
import javax.mail.internet.InternetHeaders;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.mail.smime.SMIMEException;
import org.bouncycastle.mail.smime.SMIMESignedGenerator;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Signs a complete mail as S/MIME (RFC 8551) with Bouncy Castle's SMIMESignedGenerator, either
 * detached (multipart/signed) or encapsulated (application/pkcs7-mime; smime-type=signed-data).
 * The signed part carries copies of From, To and Subject next to the original body, so that a
 * recipient can check that the signer vouched for the outer header fields (header protection
 * in the style of RFC 7508). The outer header fields, including Message-ID and Date or their
 * absence, stay as they were; only the MIME header fields change.
 */
final class SmimeMessageSigner {

    /** Header fields copied into the signed part. */
    static final List<String> PROTECTED_HEADERS = List.of("From", "To", "Subject");

    private static final String SIGNATURE_ALGORITHM = "SHA256withRSA";
    /** A provider instance, so that the CA registers no provider in the JVM. */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private final Session session = Session.getInstance(new Properties());

    /** Signs {@code raw} as multipart/signed with micalg=sha-256. */
    byte[] signDetached(byte[] raw, SmimeSignerCertificates.Identity signer)
            throws MessagingException, GeneralSecurityException {
        ExactHeadersMimeMessage message = ExactHeadersMimeMessage.parse(session, raw);
        try {
            Multipart signed = generator(signer).generate(signedPart(message));
            message.setContent(signed);
        } catch (SMIMEException e) {
            throw new MessagingException("S/MIME signing failed: " + e.getMessage(), e);
        }
        return finish(message);
    }

    /** Signs {@code raw} as application/pkcs7-mime with the content encapsulated. */
    byte[] signEncapsulated(byte[] raw, SmimeSignerCertificates.Identity signer)
            throws MessagingException, GeneralSecurityException {
        ExactHeadersMimeMessage message = ExactHeadersMimeMessage.parse(session, raw);
        try {
            MimeBodyPart encapsulated = generator(signer).generateEncapsulated(signedPart(message));
            message.setContent(encapsulated.getContent(), encapsulated.getContentType());
            // setContent drops the transfer encoding; the CMS structure is binary.
            message.setHeader("Content-Transfer-Encoding", "base64");
            if (encapsulated.getFileName() != null) {
                message.setDisposition(encapsulated.getDisposition());
                message.setFileName(encapsulated.getFileName());
            }
        } catch (SMIMEException e) {
            throw new MessagingException("S/MIME signing failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new MessagingException("Reading the signed content failed", e);
        }
        return finish(message);
    }

    private static SMIMESignedGenerator generator(SmimeSignerCertificates.Identity signer)
            throws GeneralSecurityException {
        SMIMESignedGenerator generator = new SMIMESignedGenerator();
        try {
            generator.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder()
                    .setProvider(BOUNCY_CASTLE)
                    .build(SIGNATURE_ALGORITHM, signer.privateKey(), signer.certificate()));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("Creating the " + SIGNATURE_ALGORITHM
                    + " signer failed", e);
        }
        generator.addCertificates(new JcaCertStore(List.of(signer.certificate())));
        return generator;
    }

    /**
     * Builds the part to sign: the protected header fields, then the message's content header
     * fields and its still encoded body bytes, so the part does not depend on the message.
     */
    private static MimeBodyPart signedPart(MimeMessage message) throws MessagingException {
        InternetHeaders headers = new InternetHeaders();
        for (String name : PROTECTED_HEADERS) {
            String value = message.getHeader(name, ",");
            if (value != null) {
                headers.setHeader(name, value);
            }
        }
        headers.setHeader("Content-Type", message.getContentType());
        String encoding = message.getEncoding();
        if (encoding != null) {
            headers.setHeader("Content-Transfer-Encoding", encoding);
        }
        try (InputStream body = message.getRawInputStream()) {
            return new MimeBodyPart(headers, body.readAllBytes());
        } catch (IOException e) {
            throw new MessagingException("Reading the message body failed", e);
        }
    }

    private static byte[] finish(ExactHeadersMimeMessage message) throws MessagingException {
        message.saveChanges();
        return ExactHeadersMimeMessage.toBytes(message);
    }
}
