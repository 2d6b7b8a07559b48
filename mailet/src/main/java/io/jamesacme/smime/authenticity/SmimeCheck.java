package io.jamesacme.smime.authenticity;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Part;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.internet.MimeUtility;

import com.sun.mail.util.CRLFOutputStream;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSVerifierCertificateNotValidException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * Accepts a challenge mail signed with S/MIME (RFC 8551), either multipart/signed or
 * application/pkcs7-mime signed-data. Bouncy Castle verifies the CMS signature, and the JDK's
 * PKIX builder checks that the signer chains to a configured trust anchor and is valid now.
 * The signer certificate must name the From address as an rfc822Name, and its key usage and
 * extended key usage, when present, must allow signing and email protection. The signed part
 * must carry the same From and Subject as the outer mail (RFC 8823 header protection).
 */
public final class SmimeCheck implements AuthenticityCheck {
    /** Bouncy Castle as a private instance; it is never registered with the JVM. */
    private static final Provider BC = new BouncyCastleProvider();
    private static final String EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int RFC822_NAME = 1;
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int NON_REPUDIATION = 1;

    private final Set<TrustAnchor> anchors;

    public SmimeCheck(Collection<X509Certificate> trustAnchors) {
        this.anchors = trustAnchors.stream().map(cert -> new TrustAnchor(cert, null))
            .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Reads the trust anchors from a file of PEM or DER certificates.
     *
     * @throws UncheckedIOException when the file cannot be read or contains no certificate
     */
    public static List<X509Certificate> readTrustAnchors(Path file) {
        try (InputStream input = Files.newInputStream(file)) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(input)) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new IOException("the file contains no certificate");
            }
            return certificates;
        } catch (IOException | CertificateException e) {
            throw new UncheckedIOException("Cannot read S/MIME trust anchors from " + file + ": "
                + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
    }

    @Override
    public AuthenticityMethod method() {
        return AuthenticityMethod.SMIME;
    }

    @Override
    public Verdict check(MimeMessage message, InternetAddress from, Optional<String> smtpAuthUser) {
        try {
            Signed signed = unwrap(message);
            if (signed == null) {
                return Verdict.rejected(RejectionReason.SMIME_NONE, "the mail is not S/MIME signed");
            }
            return verify(signed, message, from);
        } catch (MessagingException | IOException | CMSException | RuntimeException e) {
            return Verdict.rejected(RejectionReason.SMIME_MALFORMED, "the S/MIME structure cannot "
                + "be read: " + e.getMessage());
        } catch (StackOverflowError e) {
            // Bouncy Castle parses ASN.1 recursively, so deeply nested input overflows the stack.
            return Verdict.rejected(RejectionReason.SMIME_MALFORMED,
                "the CMS structure is nested too deeply to parse");
        }
    }

    private Verdict verify(Signed signed, MimeMessage outer, InternetAddress from)
            throws MessagingException, IOException {
        Collection<SignerInformation> signers = signed.data().getSignerInfos().getSigners();
        if (signers.isEmpty()) {
            return Verdict.rejected(RejectionReason.SMIME_MALFORMED, "the CMS structure has no signer");
        }
        List<X509Certificate> included = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try {
            for (X509CertificateHolder holder : signed.data().getCertificates().getMatches(null)) {
                included.add(converter.getCertificate(holder));
            }
        } catch (CertificateException e) {
            return Verdict.rejected(RejectionReason.SMIME_MALFORMED, "an included certificate "
                + "cannot be read: " + e.getMessage());
        }

        Verdict last = null;
        for (SignerInformation signer : signers) {
            last = verifySigner(signer, signed, included, from);
            if (last.isAuthentic()) {
                Optional<String> mismatch = headerMismatch(signed.inner(), outer, from);
                if (mismatch.isPresent()) {
                    return Verdict.rejected(RejectionReason.SMIME_HEADER_MISMATCH, mismatch.get());
                }
                return last;
            }
        }
        return last;
    }

    private Verdict verifySigner(SignerInformation signer, Signed signed,
                                 List<X509Certificate> included, InternetAddress from) {
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> matches = signed.data().getCertificates()
            .getMatches(signer.getSID());
        if (matches.isEmpty()) {
            return Verdict.rejected(RejectionReason.SMIME_UNTRUSTED,
                "the signer's certificate is not included in the signature");
        }
        X509Certificate certificate;
        try {
            certificate = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
        } catch (CertificateException e) {
            return Verdict.rejected(RejectionReason.SMIME_MALFORMED, "the signer's certificate "
                + "cannot be read: " + e.getMessage());
        }
        String subject = certificate.getSubjectX500Principal().getName();

        try {
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(certificate))) {
                return Verdict.rejected(RejectionReason.SMIME_BAD_SIGNATURE,
                    "the signature of " + subject + " does not match the content");
            }
        } catch (CMSVerifierCertificateNotValidException e) {
            return Verdict.rejected(RejectionReason.SMIME_UNTRUSTED, "the certificate of " + subject
                + " was not valid at signing time");
        } catch (CMSException | OperatorCreationException | RuntimeException e) {
            return Verdict.rejected(RejectionReason.SMIME_BAD_SIGNATURE, "the signature of "
                + subject + " does not verify: " + e.getMessage());
        }

        try {
            certificate.checkValidity();
        } catch (CertificateException e) {
            return Verdict.rejected(RejectionReason.SMIME_UNTRUSTED, "the certificate of " + subject
                + " is not valid now (" + certificate.getNotBefore().toInstant() + " to "
                + certificate.getNotAfter().toInstant() + ")");
        }
        Optional<String> untrusted = chainProblem(certificate, included);
        if (untrusted.isPresent()) {
            return Verdict.rejected(RejectionReason.SMIME_UNTRUSTED, untrusted.get());
        }
        if (!allowsSigning(certificate)) {
            return Verdict.rejected(RejectionReason.SMIME_UNTRUSTED, "the certificate of " + subject
                + " has a key usage without digitalSignature or nonRepudiation");
        }
        if (!allowsEmailProtection(certificate)) {
            return Verdict.rejected(RejectionReason.SMIME_UNTRUSTED, "the certificate of " + subject
                + " is not for email protection (extended key usage)");
        }
        if (!namesAddress(certificate, from)) {
            return Verdict.rejected(RejectionReason.SMIME_SIGNER_MISMATCH, "the certificate of "
                + subject + " has no rfc822Name " + from.getAddress());
        }
        return Verdict.authentic(AuthenticityMethod.SMIME, "S/MIME signature of " + subject);
    }

    private Optional<String> chainProblem(X509Certificate certificate, List<X509Certificate> included) {
        if (anchors.isEmpty()) {
            return Optional.of("no S/MIME trust anchors are configured");
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(certificate);
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
            parameters.setRevocationEnabled(false);
            parameters.setDate(new Date());
            parameters.addCertStore(CertStore.getInstance("Collection",
                new CollectionCertStoreParameters(included)));
            CertPathBuilder.getInstance("PKIX").build(parameters);
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            return Optional.of("the certificate of " + certificate.getSubjectX500Principal().getName()
                + " does not chain to a trust anchor: " + e.getMessage());
        }
    }

    /** Returns false when the key usage allows neither digitalSignature nor nonRepudiation. */
    private static boolean allowsSigning(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        return usage == null || usage[DIGITAL_SIGNATURE] || usage[NON_REPUDIATION];
    }

    private static boolean allowsEmailProtection(X509Certificate certificate) {
        try {
            List<String> usages = certificate.getExtendedKeyUsage();
            return usages == null || usages.contains(EMAIL_PROTECTION)
                || usages.contains(ANY_EXTENDED_KEY_USAGE);
        } catch (CertificateException e) {
            return false;
        }
    }

    private static boolean namesAddress(X509Certificate certificate, InternetAddress from) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return false;
            }
            String expected = from.getAddress().toLowerCase(Locale.ROOT);
            return names.stream().anyMatch(name -> name.size() >= 2
                && Integer.valueOf(RFC822_NAME).equals(name.get(0))
                && expected.equals(String.valueOf(name.get(1)).toLowerCase(Locale.ROOT)));
        } catch (CertificateException e) {
            return false;
        }
    }

    /** Compares the protected From, Subject, To and Reply-To of the signed part with the outer mail. */
    private static Optional<String> headerMismatch(Part inner, MimeMessage outer, InternetAddress from)
            throws MessagingException, IOException {
        Part protectedHeaders = inner;
        if (inner.isMimeType("message/rfc822") && inner.getContent() instanceof MimeMessage wrapped) {
            protectedHeaders = wrapped;
        }
        String[] innerFrom = protectedHeaders.getHeader("From");
        if (innerFrom == null || innerFrom.length != 1) {
            return Optional.of("the signed part does not carry exactly one From field");
        }
        if (!addresses(innerFrom).equals(List.of(from.getAddress().toLowerCase(Locale.ROOT)))) {
            return Optional.of("the From in the signed part differs from the outer From");
        }
        String[] innerSubject = protectedHeaders.getHeader("Subject");
        String[] outerSubject = outer.getHeader("Subject");
        if (innerSubject == null || innerSubject.length != 1 || outerSubject == null
            || !decode(innerSubject[0]).equals(decode(outerSubject[0]))) {
            return Optional.of("the Subject in the signed part differs from the outer Subject");
        }
        String[] outerTo = outer.getHeader("To");
        String[] innerTo = protectedHeaders.getHeader("To");
        if (outerTo == null || innerTo == null || !addresses(innerTo).equals(addresses(outerTo))) {
            return Optional.of("the To in the signed part differs from the outer To");
        }
        // Reply-To chooses where the response goes, so an outer one must be signed as well.
        String[] outerReplyTo = outer.getHeader("Reply-To");
        if (outerReplyTo != null) {
            String[] innerReplyTo = protectedHeaders.getHeader("Reply-To");
            if (innerReplyTo == null || !addresses(innerReplyTo).equals(addresses(outerReplyTo))) {
                return Optional.of("the Reply-To of the mail is not the one in the signed part");
            }
        }
        return Optional.empty();
    }

    private static List<String> addresses(String[] fields) throws MessagingException {
        List<String> addresses = new ArrayList<>();
        for (String field : fields) {
            for (InternetAddress address : InternetAddress.parseHeader(MimeUtility.unfold(field), false)) {
                addresses.add(address.getAddress().toLowerCase(Locale.ROOT));
            }
        }
        return addresses;
    }

    private static String decode(String raw) throws IOException {
        return MimeUtility.decodeText(MimeUtility.unfold(raw)).strip();
    }

    /** Returns the CMS structure and the signed entity, or null when the mail is not signed. */
    private static Signed unwrap(MimeMessage message) throws MessagingException, IOException, CMSException {
        if (message.isMimeType("multipart/signed")) {
            Object content = message.getContent();
            if (!(content instanceof MimeMultipart multipart) || multipart.getCount() != 2) {
                throw new MessagingException("multipart/signed needs exactly two body parts");
            }
            BodyPart signedPart = multipart.getBodyPart(0);
            BodyPart signature = multipart.getBodyPart(1);
            if (!signature.isMimeType("application/pkcs7-signature")
                && !signature.isMimeType("application/x-pkcs7-signature")) {
                throw new MessagingException("the second part is " + signature.getContentType()
                    + ", not application/pkcs7-signature");
            }
            byte[] signedBytes = canonical(signedPart);
            byte[] signatureBytes;
            try (InputStream input = signature.getInputStream()) {
                signatureBytes = input.readAllBytes();
            }
            CMSSignedData data = new CMSSignedData(new CMSProcessableByteArray(signedBytes), signatureBytes);
            return new Signed(data, signedPart);
        }
        if (message.isMimeType("application/pkcs7-mime") || message.isMimeType("application/x-pkcs7-mime")) {
            String smimeType = new javax.mail.internet.ContentType(message.getContentType())
                .getParameter("smime-type");
            if (smimeType != null && !"signed-data".equalsIgnoreCase(smimeType)) {
                return null;
            }
            CMSSignedData data;
            try (InputStream input = message.getInputStream()) {
                data = new CMSSignedData(input);
            }
            if (data.getSignedContent() == null) {
                throw new MessagingException("the signed-data carries no content");
            }
            byte[] inner = (byte[]) data.getSignedContent().getContent();
            return new Signed(data, new MimeBodyPart(new ByteArrayInputStream(inner)));
        }
        return null;
    }

    /** Returns the part as it was sent, with CRLF line ends as RFC 8551 signs it. */
    private static byte[] canonical(BodyPart part) throws MessagingException, IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream crlf = new CRLFOutputStream(bytes)) {
            part.writeTo(crlf);
        }
        return bytes.toByteArray();
    }

    private record Signed(CMSSignedData data, Part inner) {
    }
}
