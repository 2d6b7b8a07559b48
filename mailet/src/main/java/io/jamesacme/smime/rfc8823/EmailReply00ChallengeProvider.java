package io.jamesacme.smime.rfc8823;

import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.provider.ChallengeProvider;
import org.shredzone.acme4j.provider.ChallengeType;
import org.shredzone.acme4j.toolbox.JSON;

/**
 * Registers {@link EmailReply00Challenge} with acme4j through its challenge provider SPI
 * ({@code META-INF/services/org.shredzone.acme4j.provider.ChallengeProvider}).
 */
@ChallengeType(EmailReply00Challenge.TYPE)
public class EmailReply00ChallengeProvider implements ChallengeProvider {
    @Override
    public Challenge create(Login login, JSON data) {
        return new EmailReply00Challenge(login, data);
    }
}
