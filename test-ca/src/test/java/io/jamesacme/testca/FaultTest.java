package io.jamesacme.testca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validation of {@link Fault} values and the endpoint names they match. */
class FaultTest {

    @Test
    void defaultsPerKind() {
        Fault unavailable = Fault.of(FaultKind.UNAVAILABLE_503, 2);
        Fault slow = Fault.of(FaultKind.SLOW_RESPONSE, 1);
        Fault serverError = Fault.of(FaultKind.SERVER_ERROR_500, 1);

        assertThat(unavailable.count()).isEqualTo(2);
        assertThat(unavailable.retryAfter()).isEqualTo(Fault.DEFAULT_RETRY_AFTER);
        assertThat(unavailable.delay()).isZero();
        assertThat(unavailable.endpoints()).isEmpty();
        assertThat(Fault.of(FaultKind.RATE_LIMITED_429, 1).retryAfter())
                .isEqualTo(Fault.DEFAULT_RETRY_AFTER);
        assertThat(slow.delay()).isEqualTo(Fault.DEFAULT_SLOW_RESPONSE_DELAY);
        assertThat(slow.retryAfter()).isZero();
        assertThat(serverError.retryAfter()).isZero();
        assertThat(serverError.delay()).isZero();
    }

    @Test
    void refusedConnectionHasPeriodOnly() {
        Fault refusal = Fault.refuseConnectionsFor(Duration.ofSeconds(2));

        assertThat(refusal.kind()).isEqualTo(FaultKind.CONNECTION_REFUSED);
        assertThat(refusal.count()).isZero();
        assertThat(refusal.delay()).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> Fault.of(FaultKind.CONNECTION_REFUSED, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refuseConnectionsFor");
        assertThatThrownBy(() -> Fault.refuseConnectionsFor(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> refusal.onlyOn("newOrder"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("whole listener");
    }

    @Test
    void invalidValuesRejected() {
        assertThatThrownBy(() -> Fault.of(FaultKind.SERVER_ERROR_500, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Fault.of(FaultKind.SERVER_ERROR_500, 1)
                .withRetryAfter(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UNAVAILABLE_503 and RATE_LIMITED_429");
        assertThatThrownBy(() -> Fault.of(FaultKind.RATE_LIMITED_429, 1)
                .withRetryAfter(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> Fault.of(FaultKind.UNAVAILABLE_503, 1)
                .withDelay(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SLOW_RESPONSE and CONNECTION_REFUSED");
        assertThatThrownBy(() -> Fault.of(FaultKind.SLOW_RESPONSE, 1).withDelay(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> Fault.of(null, 1)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void unknownEndpointListsNames() {
        assertThatThrownBy(() -> Fault.of(FaultKind.SERVER_ERROR_500, 1).onlyOn("neworder"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'neworder'")
                .hasMessageContaining("newOrder").hasMessageContaining("certificate");
        assertThatThrownBy(() -> Fault.of(FaultKind.SERVER_ERROR_500, 1).onlyOn("unknown"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badNonceOnlyOnSignedEndpoints() {
        for (String name : new String[] {"directory", "newNonce", "terms"}) {
            assertThatThrownBy(() -> Fault.of(FaultKind.BAD_NONCE, 1).onlyOn(name)).as(name)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("takes no JWS");
        }
        Fault badNonce = Fault.of(FaultKind.BAD_NONCE, 1);

        assertThat(badNonce.appliesTo(AcmeEndpoint.NEW_ORDER, "POST")).isTrue();
        assertThat(badNonce.appliesTo(AcmeEndpoint.NEW_ORDER, "GET")).isFalse();
        assertThat(badNonce.appliesTo(AcmeEndpoint.NEW_NONCE, "HEAD")).isFalse();
        assertThat(badNonce.appliesTo(AcmeEndpoint.DIRECTORY, "GET")).isFalse();
    }

    @Test
    void onlyOnLimitsMatches() {
        Fault everywhere = Fault.of(FaultKind.SERVER_ERROR_500, 1);
        Fault onOrders = everywhere.onlyOn("newOrder", "finalize");

        assertThat(onOrders.endpoints()).containsExactly("newOrder", "finalize");
        assertThat(onOrders.appliesTo(AcmeEndpoint.NEW_ORDER, "POST")).isTrue();
        assertThat(onOrders.appliesTo(AcmeEndpoint.FINALIZE, "POST")).isTrue();
        assertThat(onOrders.appliesTo(AcmeEndpoint.ORDER, "POST")).isFalse();
        assertThat(everywhere.appliesTo(AcmeEndpoint.NEW_NONCE, "HEAD")).isTrue();
        assertThat(everywhere.appliesTo(AcmeEndpoint.DIRECTORY, "GET")).isTrue();
        assertThat(everywhere.appliesTo(AcmeEndpoint.UNKNOWN, "POST")).isFalse();
        assertThatThrownBy(() -> onOrders.endpoints().add("order"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void retryAfterRoundsUpToSeconds() {
        Fault fault = Fault.of(FaultKind.UNAVAILABLE_503, 1);

        assertThat(fault.withRetryAfter(Duration.ofSeconds(3)).retryAfterHeader()).isEqualTo("3");
        assertThat(fault.withRetryAfter(Duration.ofMillis(1500)).retryAfterHeader())
                .isEqualTo("2");
        assertThat(fault.withRetryAfter(Duration.ZERO).retryAfterHeader()).isEqualTo("0");
    }

    @Test
    void pathsMapToEndpointNames() {
        Map<String, String> paths = Map.ofEntries(
                Map.entry("/directory", "directory"),
                Map.entry("/new-nonce", "newNonce"),
                Map.entry("/terms", "terms"),
                Map.entry("/new-account", "newAccount"),
                Map.entry("/acct/a1", "account"),
                Map.entry("/acct/a1/orders", "orders"),
                Map.entry("/key-change", "keyChange"),
                Map.entry("/new-order", "newOrder"),
                Map.entry("/order/o1", "order"),
                Map.entry("/order/o1/finalize", "finalize"),
                Map.entry("/authz/z1", "authz"),
                Map.entry("/chall/c1", "challenge"),
                Map.entry("/cert/c1", "certificate"),
                Map.entry("/nowhere", "unknown"));
        paths.forEach((path, name) -> assertThat(AcmeEndpoint.fromPath(path).id()).as(path)
                .isEqualTo(name));
        assertThat(AcmeEndpoint.faultableIds()).hasSize(13).doesNotContain("unknown");
    }
}
