package io.jamesacme.smime.james;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.commons.configuration2.MapConfiguration;
import org.apache.james.metrics.tests.RecordingMetricFactory;

import io.jamesacme.smime.acme.AccountManager;
import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.OrderRecord;
import io.jamesacme.smime.state.OrderState;
import io.jamesacme.smime.state.StateStore;

/**
 * Real extension services over a temporary storage folder. The directory URL points at a
 * closed loopback port and the trigger delay is an hour, so no test reaches a CA. Tests write
 * orders straight into the state store, so no order engine drives them.
 */
final class TestServices {
    static final String CHALLENGE_URL = "https://127.0.0.1:9/challenge/1";
    static final String ORDER_URL = "https://127.0.0.1:9/order/1";

    final AcmeSmimeConfiguration configuration;
    final StateStore stateStore;
    final CertificateOrderService orders;
    final RecordingMetricFactory metricFactory = new RecordingMetricFactory();
    final ChallengeMetrics metrics = new ChallengeMetrics(metricFactory);
    final ChallengeResponder responder;

    TestServices(Path storage) {
        configuration = AcmeSmimeConfiguration.from(new MapConfiguration(Map.of(
                AcmeSmimeConfiguration.DIRECTORY, "https://127.0.0.1:9/directory",
                AcmeSmimeConfiguration.STORAGE_DIRECTORY, storage.toString(),
                AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:TEST_PASSPHRASE",
                AcmeSmimeConfiguration.TRIGGER_DELAY, "1h")),
            storage, name -> Optional.of("test-passphrase"));
        stateStore = FileStateStore.open(storage.resolve("state"));
        orders = new CertificateOrderService(configuration,
            new AccountManager(configuration, stateStore, Clock.systemUTC()), stateStore, Clock.systemUTC());
        responder = new ChallengeResponder(stateStore, orders, metrics, configuration);
    }

    /** Creates an order for the address that has not fetched its authorization yet. */
    OrderRecord createOrder(String address) {
        return stateStore.createOrder(UUID.randomUUID().toString(), address, Instant.now()).orElseThrow();
    }

    /** Writes the challenge details and moves the order to AUTHORIZATION_FETCHED. */
    OrderRecord fetchAuthorization(OrderRecord order, String tokenPart2, String from) {
        Instant now = Instant.now();
        OrderRecord current = stateStore.order(order.id()).orElseThrow();
        return stateStore.update(current.withOrderUrl(ORDER_URL, now)
            .withChallenge(CHALLENGE_URL, tokenPart2, from, now)
            .advancedTo(OrderState.AUTHORIZATION_FETCHED, now));
    }

    /** Moves the order to {@code state}; {@link OrderState#FAILED} gets a reason. */
    OrderRecord finish(OrderRecord order, OrderState state) {
        Instant now = Instant.now();
        OrderRecord current = stateStore.order(order.id()).orElseThrow();
        OrderRecord finished = state == OrderState.FAILED
            ? current.failed("failed in a test", now, now)
            : current.advancedTo(state, now);
        return stateStore.update(finished);
    }

    OrderState state(OrderRecord order) {
        return stateStore.order(order.id()).orElseThrow().state();
    }
}
