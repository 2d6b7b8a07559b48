package io.jamesacme.smime.rfc8823;

import java.util.Date;

import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * Builds the RFC 8823 response mail: From the certified address, To the challenge's Reply-To
 * or From, {@code Subject: Re: ACME: <token-part1>}, threaded to the challenge when it has a
 * Message-ID, {@code Auto-Submitted: auto-replied}, and a text/plain body with the response
 * between the BEGIN and END lines.
 */
public final class ResponseMail {
    public static final String BEGIN_LINE = "-----BEGIN ACME RESPONSE-----";
    public static final String END_LINE = "-----END ACME RESPONSE-----";

    /** Lines of the response are wrapped at this width, well inside the SMTP limit. */
    static final int LINE_WIDTH = 64;

    private static final String CRLF = "\r\n";

    private ResponseMail() {
    }

    public static MimeMessage create(ChallengeMail challenge, InternetAddress certifiedAddress,
                                     String response, Session session) throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(certifiedAddress);
        message.setRecipient(Message.RecipientType.TO, challenge.responseRecipient());
        message.setSubject("Re: " + ChallengeSubject.PREFIX + " " + challenge.tokenPart1(), "UTF-8");
        message.setSentDate(new Date());

        if (challenge.messageId().isPresent()) {
            message.setHeader("In-Reply-To", challenge.messageId().get());
            message.setHeader("References", challenge.messageId().get());
        }
        message.setHeader("Auto-Submitted", "auto-replied");
        message.setText(body(response), "US-ASCII");
        message.saveChanges();
        return message;
    }

    /** Returns the body: the BEGIN line, the response wrapped at {@value #LINE_WIDTH}, the END line. */
    public static String body(String response) {
        StringBuilder body = new StringBuilder(BEGIN_LINE).append(CRLF);
        for (int start = 0; start < response.length(); start += LINE_WIDTH) {
            int end = Math.min(response.length(), start + LINE_WIDTH);
            body.append(response, start, end).append(CRLF);
        }
        return body.append(END_LINE).append(CRLF).toString();
    }
}
