package io.jamesacme.testca;

import java.security.GeneralSecurityException;
import java.util.Date;
import java.util.Properties;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;

/**
 * Builds the RFC 8823 challenge mail of a challenge as the exact bytes that go over SMTP, in
 * each {@link ChallengeSigning} mode. It signs with the CA's DKIM key and S/MIME signers.
 */
final class ChallengeMessages {

    static final String SUBJECT_PREFIX = "ACME: ";
    static final String AUTO_SUBMITTED = "auto-generated; type=acme";

    /**
     * Header fields in the h= tag of challenge mail DKIM signatures: those RFC 8823 section 3.1
     * requires the signature to cover, plus Auto-Submitted. A listed field that the mail lacks
     * is signed as absent (h= tag, RFC 6376 section 3.5), so adding it later breaks the
     * signature.
     */
    static final String DKIM_SIGNED_HEADERS = "from:sender:reply-to:to:cc:subject:date"
            + ":in-reply-to:references:message-id:content-type:content-transfer-encoding"
            + ":auto-submitted";

    private final Session session = Session.getInstance(new Properties());
    private final String caAddress;
    private final String caDomain;
    private final DkimKey dkimKey;
    private final SmimeSignerCertificates smimeSigners;
    private final SmimeMessageSigner smimeSigner = new SmimeMessageSigner();

    ChallengeMessages(String caAddress, String caDomain, DkimKey dkimKey,
            SmimeSignerCertificates smimeSigners) {
        this.caAddress = caAddress;
        this.caDomain = caDomain;
        this.dkimKey = dkimKey;
        this.smimeSigners = smimeSigners;
    }

    DkimKey dkimKey() {
        return dkimKey;
    }

    SmimeSignerCertificates smimeSigners() {
        return smimeSigners;
    }

    /** Builds the challenge mail of {@code challenge} in {@code signing} mode. */
    byte[] build(EmailReplyChallenge challenge, ChallengeSigning signing)
            throws MessagingException, GeneralSecurityException {
        byte[] unsigned = unsigned(challenge, signing != ChallengeSigning.BARE);
        return switch (signing) {
            case UNSIGNED, BARE -> unsigned;
            case DKIM -> dkimKey.sign(unsigned, dkimKey.domain(), DKIM_SIGNED_HEADERS);
            case SMIME -> smimeSign(unsigned, SmimeSigner.CA, false);
        };
    }

    /** Signs a complete mail as S/MIME, detached or encapsulated, as {@code signer}. */
    byte[] smimeSign(byte[] raw, SmimeSigner signer, boolean encapsulated)
            throws MessagingException, GeneralSecurityException {
        SmimeSignerCertificates.Identity identity = smimeSigners.identity(signer);
        return encapsulated ? smimeSigner.signEncapsulated(raw, identity)
                : smimeSigner.signDetached(raw, identity);
    }

    private byte[] unsigned(EmailReplyChallenge challenge, boolean withIdentification)
            throws MessagingException {
        String address = challenge.authorization().address();
        ExactHeadersMimeMessage message = new ExactHeadersMimeMessage(session);
        message.setFrom(new InternetAddress(caAddress));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(address));
        message.setSubject(SUBJECT_PREFIX + challenge.tokenPart1(), "US-ASCII");
        if (withIdentification) {
            message.setSentDate(new Date());
            message.setHeader("Message-ID", "<" + RandomTokens.next(18) + "@" + caDomain + ">");
            message.setHeader("Auto-Submitted", AUTO_SUBMITTED);
        }
        message.setText("This message is an ACME challenge (RFC 8823) from the "
                + "james-acme-smime test CA for " + address + ".\r\n\r\n"
                + "The ACME client that requested an S/MIME certificate for this address "
                + "answers it automatically. If nobody requested a certificate, ignore this "
                + "message.\r\n", "UTF-8");
        message.saveChanges();
        return ExactHeadersMimeMessage.toBytes(message);
    }
}
