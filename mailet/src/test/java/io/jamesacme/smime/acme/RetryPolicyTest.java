package io.jamesacme.smime.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.toolbox.JSON;

class RetryPolicyTest {
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private final RetryPolicy policy = new RetryPolicy(4, Duration.ofSeconds(10), Duration.ofSeconds(60));

    @Test
    void networkFailuresAndServerErrorsAreTransient() throws Exception {
        assertThat(policy.isTransient(new AcmeNetworkException(new HttpTimeoutException("slow")))).isTrue();
        assertThat(policy.isTransient(new AcmeException("wrapped", new java.net.ConnectException("refused")))).isTrue();
        assertThat(policy.isTransient(server("serverInternal"))).isTrue();
        assertThat(policy.isTransient(server("badNonce"))).isTrue();
        assertThat(policy.isTransient(rateLimited(null))).isTrue();
    }

    @Test
    void refusalsAreNotTransient() throws Exception {
        assertThat(policy.isTransient(server("unauthorized"))).isFalse();
        assertThat(policy.isTransient(server("rejectedIdentifier"))).isFalse();
        assertThat(policy.isTransient(new IllegalStateException("bug"))).isFalse();
    }

    @Test
    void backoffDoublesUpToMaximum() throws Exception {
        AcmeServerException error = server("serverInternal");

        for (int i = 0; i < 50; i++) {
            assertThat(delay(2, error)).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(15));
            assertThat(delay(3, error)).isBetween(Duration.ofSeconds(20), Duration.ofSeconds(30));
            assertThat(delay(4, error)).isBetween(Duration.ofSeconds(40), Duration.ofSeconds(60));
        }
    }

    @Test
    void attemptsAreBounded() throws Exception {
        assertThat(policy.nextAttemptTime(5, server("serverInternal"), NOW)).isEmpty();
        assertThat(policy.nextAttemptTime(2, server("unauthorized"), NOW)).isEmpty();
    }

    @Test
    void laterRetryAfterIsHonoured() throws Exception {
        Instant retryAfter = NOW.plusSeconds(120);

        assertThat(policy.nextAttemptTime(2, rateLimited(retryAfter), NOW)).contains(retryAfter);
    }

    @Test
    void earlierRetryAfterDoesNotShortenTheBackoff() throws Exception {
        assertThat(delay(2, rateLimited(NOW.plusSeconds(1)))).isGreaterThanOrEqualTo(Duration.ofSeconds(10));
    }

    private Duration delay(int attempt, Throwable error) {
        return Duration.between(NOW, policy.nextAttemptTime(attempt, error, NOW).orElseThrow());
    }

    private static AcmeServerException server(String type) throws Exception {
        return new AcmeServerException(problem(type));
    }

    private static AcmeRateLimitedException rateLimited(Instant retryAfter) throws Exception {
        return new AcmeRateLimitedException(problem("rateLimited"), retryAfter, List.of());
    }

    private static Problem problem(String type) throws Exception {
        return new Problem(JSON.parse("{\"type\":\"urn:ietf:params:acme:error:" + type + "\",\"detail\":\"test\"}"),
            new URL("https://127.0.0.1:9/"));
    }
}
