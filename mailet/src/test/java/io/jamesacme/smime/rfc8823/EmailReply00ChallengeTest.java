package io.jamesacme.smime.rfc8823;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.URL;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.ServiceLoader;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.exception.AcmeProtocolException;
import org.shredzone.acme4j.provider.ChallengeProvider;
import org.shredzone.acme4j.provider.ChallengeType;
import org.shredzone.acme4j.toolbox.JSON;

class EmailReply00ChallengeTest {
    private static final String TOKEN_PART2 = "DGyRejmCefe7v4NfDGDKfA";

    private static Login login;

    /** Creates a login on a Session for an https URL, which connects only when a resource is requested. */
    @BeforeAll
    static void createLogin() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair accountKey = generator.generateKeyPair();
        Session session = new Session(URI.create("https://ca.test/acme/directory"));
        login = new Login(new URL("https://ca.test/acme/acct/1"), accountKey, session);
    }

    private static JSON challengeJson(String type, String from) {
        return JSON.parse("{\"type\":\"" + type + "\",\"url\":\"https://ca.test/chall/1\","
            + "\"status\":\"pending\",\"token\":\"" + TOKEN_PART2 + "\",\"from\":\"" + from + "\"}");
    }

    @Test
    void serviceLoaderFindsProvider() {
        List<ChallengeProvider> providers = ServiceLoader.load(ChallengeProvider.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(EmailReply00ChallengeProvider.class::isInstance)
            .toList();

        assertThat(providers).hasSize(1);
        ChallengeType type = providers.get(0).getClass().getAnnotation(ChallengeType.class);
        assertThat(type).isNotNull();
        assertThat(type.value()).isEqualTo("email-reply-00");
    }

    @Test
    void loginCreatesEmailReplyChallenge() {
        Challenge challenge = login.createChallenge(challengeJson("email-reply-00", "acme@ca.test"));

        assertThat(challenge).isInstanceOf(EmailReply00Challenge.class);
        EmailReply00Challenge emailReply = (EmailReply00Challenge) challenge;
        assertThat(emailReply.getType()).isEqualTo(EmailReply00Challenge.TYPE);
        assertThat(emailReply.getStatus()).isEqualTo(Status.PENDING);
        assertThat(emailReply.getLocation().toString()).isEqualTo("https://ca.test/chall/1");
        assertThat(emailReply.getTokenPart2()).isEqualTo(TOKEN_PART2);
        assertThat(emailReply.getFrom().getAddress()).isEqualTo("acme@ca.test");
    }

    @Test
    void keyAuthorizationJoinsBothTokens() {
        EmailReply00Challenge challenge = (EmailReply00Challenge) login.createChallenge(
            challengeJson("email-reply-00", "acme@ca.test"));
        String tokenPart1 = "LgYemJLy3F1LDkiJrdIGbEzyFJyOyf6vBdyZ1TG3sME";

        KeyAuthorization authorization = challenge.keyAuthorization(tokenPart1, login.getKeyPair().getPublic());

        assertThat(authorization.value()).startsWith(tokenPart1 + TOKEN_PART2 + ".");
        assertThat(authorization.response()).isEqualTo(
            KeyAuthorization.of(tokenPart1, TOKEN_PART2, login.getKeyPair().getPublic()).response());
    }

    @Test
    void invalidFromIsAProtocolError() {
        EmailReply00Challenge challenge = (EmailReply00Challenge) login.createChallenge(
            challengeJson("email-reply-00", "not an address"));

        assertThatThrownBy(challenge::getFrom)
            .isInstanceOf(AcmeProtocolException.class)
            .hasMessageContaining("not an address");
    }

    @Test
    void constructorRejectsOtherType() {
        assertThatThrownBy(() -> new EmailReply00Challenge(login, challengeJson("http-01", "acme@ca.test")))
            .isInstanceOf(AcmeProtocolException.class);
    }
}
