package io.jamesacme.smime.rfc8823;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChallengeSubjectTest {
    /** 43 base64url characters, with both '-' and '_' so that Q-encoding must escape '_'. */
    static final String TOKEN = "LgYe-JLy3F1LDkiJrdIG_EzyFJyOyf6vBdyZ1TG3sME";

    static String bEncoded(String text) {
        return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

    /** Q-encodes base64url text: '_' means space in Q, so a literal '_' becomes =5F. */
    static String qEncoded(String text) {
        return "=?UTF-8?Q?" + text.replace("_", "=5F").replace(" ", "_") + "?=";
    }

    private static void assertRejected(ThrowingCallable parse, RejectionReason reason) {
        assertThatThrownBy(parse)
            .isInstanceOf(InvalidChallengeMailException.class)
            .satisfies(e -> assertThat(((InvalidChallengeMailException) e).reason()).isEqualTo(reason))
            .hasMessageStartingWith(reason.code() + ": ");
    }

    @Test
    void plainSubject() throws Exception {
        assertThat(ChallengeSubject.parseTokenPart1("ACME: " + TOKEN)).isEqualTo(TOKEN);
    }

    @Test
    void bEncodedSubject() throws Exception {
        assertThat(ChallengeSubject.parseTokenPart1(bEncoded("ACME: " + TOKEN))).isEqualTo(TOKEN);
    }

    @Test
    void qEncodedSubject() throws Exception {
        String subject = qEncoded("ACME: " + TOKEN);
        assertThat(subject).doesNotContain(TOKEN);

        assertThat(ChallengeSubject.parseTokenPart1(subject)).isEqualTo(TOKEN);
    }

    @Test
    void lowerCaseQCharsetAndEncoding() throws Exception {
        String subject = "=?utf-8?q?ACME:_" + TOKEN.replace("_", "=5f") + "?=";

        assertThat(ChallengeSubject.parseTokenPart1(subject)).isEqualTo(TOKEN);
    }

    @Test
    void foldedSubject() throws Exception {
        assertThat(ChallengeSubject.parseTokenPart1("ACME:\r\n " + TOKEN)).isEqualTo(TOKEN);
        assertThat(ChallengeSubject.parseTokenPart1("ACME:\r\n\t" + TOKEN)).isEqualTo(TOKEN);
    }

    @Test
    void tokenSplitAcrossFoldedEncodedWords() throws Exception {
        String subject = bEncoded("ACME: " + TOKEN.substring(0, 20)) + "\r\n "
            + bEncoded(TOKEN.substring(20));

        assertThat(ChallengeSubject.parseTokenPart1(subject)).isEqualTo(TOKEN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"  ACME: %s", "ACME:    %s", "ACME: %s   ", "\tACME:\t%s\t", " ACME:  %s \r\n "})
    void spacesAroundTokenAreAccepted(String format) throws Exception {
        assertThat(ChallengeSubject.parseTokenPart1(String.format(format, TOKEN))).isEqualTo(TOKEN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"+", "/", "=", " ", "é", "\u00a0", ".", "!"})
    void characterOutsideBase64UrlIsRejected(String character) {
        String token = TOKEN.substring(0, 20) + character + TOKEN.substring(20);

        assertRejected(() -> ChallengeSubject.parseTokenPart1("ACME: " + token),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @Test
    void paddedTokenIsRejected() {
        assertRejected(() -> ChallengeSubject.parseTokenPart1("ACME: " + TOKEN + "="),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @Test
    void encodedNonAsciiCharacterIsRejected() {
        String subject = bEncoded("ACME: " + TOKEN.substring(0, 30) + "ü" + TOKEN.substring(30));

        assertRejected(() -> ChallengeSubject.parseTokenPart1(subject),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @Test
    void tokenOf21CharactersIsTooShort() {
        assertRejected(() -> ChallengeSubject.parseTokenPart1("ACME: " + TOKEN.substring(0, 21)),
            RejectionReason.TOKEN_TOO_SHORT);
    }

    @Test
    void tokenOf22CharactersIsAccepted() throws Exception {
        String token = TOKEN.substring(0, 22);

        assertThat(ChallengeSubject.parseTokenPart1("ACME: " + token)).isEqualTo(token);
    }

    @Test
    void tokenOfMaximumLengthIsAccepted() throws Exception {
        String token = "A".repeat(ChallengeSubject.MAX_TOKEN_LENGTH);

        assertThat(ChallengeSubject.parseTokenPart1("ACME: " + token)).isEqualTo(token);
    }

    @Test
    void tokenAboveMaximumLengthIsRejected() {
        String token = "A".repeat(ChallengeSubject.MAX_TOKEN_LENGTH + 1);

        assertRejected(() -> ChallengeSubject.parseTokenPart1("ACME: " + token),
            RejectionReason.TOKEN_TOO_LONG);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ACME:", "ACME: ", "ACME:   \t "})
    void emptyTokenIsRejected(String subject) {
        // The core reports an empty token with the same code as an invalid character.
        assertRejected(() -> ChallengeSubject.parseTokenPart1(subject),
            RejectionReason.TOKEN_INVALID_CHARACTER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TOKEN, "Fwd: ACME: " + TOKEN, "ACME " + TOKEN, "Hello ACME: " + TOKEN})
    void subjectWithoutPrefixIsRejected(String subject) {
        assertRejected(() -> ChallengeSubject.parseTokenPart1(subject),
            RejectionReason.NOT_A_CHALLENGE_SUBJECT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Re: ACME: " + TOKEN, "RE: ACME: " + TOKEN, "re:ACME: " + TOKEN})
    void replySubjectIsAResponseLoop(String subject) {
        assertRejected(() -> ChallengeSubject.parseTokenPart1(subject), RejectionReason.RESPONSE_LOOP);
    }

    @Test
    void encodedReplySubjectIsAResponseLoop() {
        assertRejected(() -> ChallengeSubject.parseTokenPart1(bEncoded("Re: ACME: " + TOKEN)),
            RejectionReason.RESPONSE_LOOP);
    }

    @Test
    void unknownCharsetIsMalformed() {
        String subject = "=?x-no-such-charset?B?"
            + Base64.getEncoder().encodeToString(("ACME: " + TOKEN).getBytes(StandardCharsets.US_ASCII))
            + "?=";

        assertRejected(() -> ChallengeSubject.parseTokenPart1(subject), RejectionReason.MALFORMED_SUBJECT);
    }

    @Test
    void looksLikeChallengeOnRawValues() {
        assertThat(ChallengeSubject.looksLikeChallenge("ACME: " + TOKEN)).isTrue();
        assertThat(ChallengeSubject.looksLikeChallenge("  ACME: " + TOKEN)).isTrue();
        assertThat(ChallengeSubject.looksLikeChallenge(bEncoded("ACME: " + TOKEN))).isTrue();
        assertThat(ChallengeSubject.looksLikeChallenge("Re: ACME: " + TOKEN)).isTrue();
        assertThat(ChallengeSubject.looksLikeChallenge("Re: lunch")).isFalse();
        assertThat(ChallengeSubject.looksLikeChallenge("Meeting notes")).isFalse();
        assertThat(ChallengeSubject.looksLikeChallenge(bEncoded("Caf\u00e9 menu for Friday"))).isFalse();
        assertThat(ChallengeSubject.looksLikeChallenge("=?x-no-such-charset?B?QUNNRTo=?=")).isTrue();
        assertThat(ChallengeSubject.isReply(bEncoded("Re: ACME: " + TOKEN))).isTrue();
        assertThat(ChallengeSubject.isReply("ACME: " + TOKEN)).isFalse();
    }
}
