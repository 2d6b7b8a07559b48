package io.jamesacme.testca;

/**
 * The latest email-reply-00 challenge the CA created for an address, with what a test needs to
 * build the challenge mail itself.
 *
 * @param address the email identifier of the authorization, as the client ordered it
 * @param tokenPart1 the token part that the genuine mail carries in its subject
 * @param from the {@code from} field of the challenge, the CA address
 * @param challengeUrl the URL of the challenge resource
 */
public record PendingChallenge(String address, String tokenPart1, String from,
        String challengeUrl) {
}
