package io.jamesacme.smime.authenticity;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Properties;

import javax.activation.DataHandler;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;

import io.jamesacme.smime.authenticity.TestPki.Credential;

/**
 * Builds S/MIME-signed challenge mails in wire form (RFC 8551), as multipart/signed or as
 * application/pkcs7-mime signed-data. The signed entity is a text/plain part that carries
 * copies of From, To and Subject. Each setter lets a test break one property of the mail.
 */
final class SignedMailBuilder {
    static final Session SESSION = Session.getInstance(new Properties());
    static final String TO = "alice@example.test";
    static final String BODY = "This is an ACME challenge.\r\n";

    private final Credential signer;
    private String outerFrom;
    private String outerSubject;
    private String innerFrom;
    private String innerSubject;
    private boolean innerHeaders = true;
    private boolean wrapInMessage;
    private boolean transferEncodingHeader = true;
    private String signaturePrefix = "application/pkcs7-";
    private final List<X509Certificate> certificates = new ArrayList<>();
    private Date signingTime;

    SignedMailBuilder(Credential signer, String from, String subject) {
        this.signer = signer;
        this.outerFrom = from;
        this.innerFrom = from;
        this.outerSubject = subject;
        this.innerSubject = subject;
        certificates.add(signer.certificate());
    }

    SignedMailBuilder innerFrom(String from) {
        innerFrom = from;
        return this;
    }

    SignedMailBuilder innerSubject(String subject) {
        innerSubject = subject;
        return this;
    }

    SignedMailBuilder outerFrom(String from) {
        outerFrom = from;
        return this;
    }

    /** Leaves From, To and Subject out of the signed entity. */
    SignedMailBuilder withoutInnerHeaders() {
        innerHeaders = false;
        return this;
    }

    /** Puts From, To and Subject into a message/rfc822 entity, as RFC 8551 section 3.1 shows. */
    SignedMailBuilder wrapInMessage() {
        wrapInMessage = true;
        return this;
    }

    /** Leaves the Content-Transfer-Encoding field out of the signed entity. */
    SignedMailBuilder withoutTransferEncoding() {
        transferEncodingHeader = false;
        return this;
    }

    /** Uses the pre-RFC 5751 types application/x-pkcs7-signature and application/x-pkcs7-mime. */
    SignedMailBuilder legacyTypes() {
        signaturePrefix = "application/x-pkcs7-";
        return this;
    }

    /** Adds a certificate, such as an intermediate CA, to the CMS certificate set. */
    SignedMailBuilder includeCertificate(X509Certificate certificate) {
        certificates.add(certificate);
        return this;
    }

    /** Leaves the signer's own certificate out of the CMS certificate set. */
    SignedMailBuilder withoutSignerCertificate() {
        certificates.remove(signer.certificate());
        return this;
    }

    /** Sets the signingTime signed attribute. Without it, Bouncy Castle uses the current time. */
    SignedMailBuilder signingTime(Date time) {
        signingTime = time;
        return this;
    }

    /** Returns the signed entity in canonical form, CRLF line ends. */
    byte[] signedEntity() throws Exception {
        MimeBodyPart part = new MimeBodyPart();
        part.setText(BODY, "us-ascii");
        part.setHeader("Content-Type", "text/plain; charset=us-ascii");
        if (transferEncodingHeader) {
            part.setHeader("Content-Transfer-Encoding", "7bit");
        }
        if (innerHeaders) {
            part.setHeader("From", "ACME CA <" + innerFrom + ">");
            part.setHeader("To", TO);
            part.setHeader("Subject", innerSubject);
        }
        byte[] text = bytes(part::writeTo);
        if (!wrapInMessage) {
            return text;
        }
        byte[] header = "Content-Type: message/rfc822\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] wrapped = new byte[header.length + text.length];
        System.arraycopy(header, 0, wrapped, 0, header.length);
        System.arraycopy(text, 0, wrapped, header.length, text.length);
        return wrapped;
    }

    /** Returns the DER CMS SignedData over {@code content}, detached or encapsulated. */
    byte[] signature(byte[] content, boolean encapsulate) throws Exception {
        JcaSimpleSignerInfoGeneratorBuilder signerInfo = new JcaSimpleSignerInfoGeneratorBuilder()
            .setProvider(TestPki.BC);
        if (signingTime != null) {
            signerInfo.setSignedAttributeGenerator(new AttributeTable(
                new Attribute(CMSAttributes.signingTime, new DERSet(new Time(signingTime)))));
        }
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(signerInfo.build("SHA256withECDSA",
            signer.keyPair().getPrivate(), signer.certificate()));
        generator.addCertificates(new JcaCertStore(certificates));
        return generator.generate(new CMSProcessableByteArray(content), encapsulate).getEncoded();
    }

    /** Returns a multipart/signed mail with a detached signature, in wire form. */
    byte[] multipartSigned() throws Exception {
        byte[] entity = signedEntity();
        return multipartSigned(entity, signature(entity, false));
    }

    /** Returns a multipart/signed mail of the given entity and signature, in wire form. */
    byte[] multipartSigned(byte[] entity, byte[] signature) throws Exception {
        MimeMultipart multipart = new MimeMultipart(
            "signed; protocol=\"" + signaturePrefix + "signature\"; micalg=sha-256");
        multipart.addBodyPart(new MimeBodyPart(new ByteArrayInputStream(entity)));
        multipart.addBodyPart(signaturePart(signature));
        MimeMessage message = outerMessage();
        message.setContent(multipart);
        message.saveChanges();
        return bytes(message::writeTo);
    }

    private MimeBodyPart signaturePart(byte[] signature) throws Exception {
        String type = signaturePrefix + "signature; name=smime.p7s";
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new ByteArrayDataSource(signature, type)));
        part.setHeader("Content-Type", type);
        part.setHeader("Content-Transfer-Encoding", "base64");
        part.setDisposition("attachment; filename=smime.p7s");
        return part;
    }

    /** Returns an application/pkcs7-mime signed-data mail, in wire form. */
    byte[] pkcs7Mime() throws Exception {
        return pkcs7Mime(signature(signedEntity(), true));
    }

    /** Returns an application/pkcs7-mime mail that carries the given DER CMS structure. */
    byte[] pkcs7Mime(byte[] cms) throws Exception {
        String type = signaturePrefix + "mime; smime-type=signed-data; name=smime.p7m";
        MimeMessage message = outerMessage();
        message.setDataHandler(new DataHandler(new ByteArrayDataSource(cms, type)));
        message.setHeader("Content-Type", type);
        message.setHeader("Content-Transfer-Encoding", "base64");
        message.setDisposition("attachment; filename=smime.p7m");
        message.saveChanges();
        return bytes(message::writeTo);
    }

    private MimeMessage outerMessage() throws Exception {
        MimeMessage message = new MimeMessage(SESSION);
        message.setFrom(new InternetAddress(outerFrom, "ACME CA"));
        message.setRecipients(Message.RecipientType.TO, TO);
        message.setSubject(outerSubject);
        message.setSentDate(new Date());
        return message;
    }

    /** Parses a mail in wire form into a MimeMessage, as James does with a received mail. */
    static MimeMessage received(byte[] wire) throws Exception {
        return new MimeMessage(SESSION, new ByteArrayInputStream(wire));
    }

    private interface Writer {
        void writeTo(ByteArrayOutputStream output) throws Exception;
    }

    private static byte[] bytes(Writer writer) throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        writer.writeTo(output);
        return output.toByteArray();
    }
}
