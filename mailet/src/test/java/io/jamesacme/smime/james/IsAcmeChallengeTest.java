package io.jamesacme.smime.james;

import static io.jamesacme.smime.james.ChallengeMails.CA;
import static io.jamesacme.smime.james.ChallengeMails.TOKEN_PART1;
import static io.jamesacme.smime.james.ChallengeMails.USER;
import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

class IsAcmeChallengeTest {
    private final IsAcmeChallenge matcher = new IsAcmeChallenge();

    @Test
    void ordinaryMailDoesNotMatch() throws Exception {
        var mail = ChallengeMails.mail("ordinary", ChallengeMails.message(
            "From: bob@example.test\nTo: " + USER + "\nSubject: Lunch?\n"), USER);

        assertThat(matcher.match(mail)).isEmpty();
    }

    @Test
    void mailWithoutSubjectDoesNotMatch() throws Exception {
        var mail = ChallengeMails.mail("no-subject", ChallengeMails.message(
            "From: bob@example.test\nTo: " + USER + "\n"), USER);

        assertThat(matcher.match(mail)).isEmpty();
    }

    @Test
    void challengeWithoutPendingOrderMatchesSoThatItGetsAReason() throws Exception {
        var mail = ChallengeMails.mail("no-order", ChallengeMails.challenge(CA, TOKEN_PART1), USER);

        assertThat(matcher.match(mail)).containsExactly(new MailAddress(USER));
    }

    @Test
    void challengeMatchesEveryRecipient() throws Exception {
        var mail = ChallengeMails.mail("two-recipients", ChallengeMails.challenge(CA, TOKEN_PART1),
            USER, "carol@example.test");

        assertThat(matcher.match(mail)).containsExactly(new MailAddress(USER),
            new MailAddress("carol@example.test"));
    }

    @Test
    void encodedSubjectMatches() throws Exception {
        var mail = ChallengeMails.mail("encoded", ChallengeMails.message(
            "From: " + CA + "\nTo: " + USER + "\nSubject: =?UTF-8?Q?ACME:_" + TOKEN_PART1 + "?=\n"),
            USER);

        assertThat(matcher.match(mail)).containsExactly(new MailAddress(USER));
    }

    @Test
    void redeliveredParkedChallengeDoesNotMatch() throws Exception {
        var mail = ChallengeMails.mail("redelivered", ChallengeMails.challenge(CA, TOKEN_PART1), USER);
        mail.setAttribute(new org.apache.mailet.Attribute(UnansweredMails.REDELIVERED,
            org.apache.mailet.AttributeValue.of(true)));

        assertThat(matcher.match(mail)).isEmpty();
    }

    @Test
    void responseSentByThisServerDoesNotMatch() throws Exception {
        var mail = ChallengeMails.mail("own-response", ChallengeMails.message(
            "From: " + USER + "\nTo: " + CA + "\nSubject: Re: ACME: " + TOKEN_PART1 + "\n"), CA);
        mail.setAttribute(org.apache.mailet.Mail.SENT_BY_MAILET_ATTRIBUTE);

        assertThat(matcher.match(mail)).isEmpty();
    }

    @Test
    void loopedResponseMatchesForItsReason() throws Exception {
        var mail = ChallengeMails.mail("looped-response", ChallengeMails.message(
            "From: " + USER + "\nTo: " + USER + "\nSubject: Re: ACME: " + TOKEN_PART1 + "\n"), USER);

        assertThat(matcher.match(mail)).containsExactly(new MailAddress(USER));
    }
}
