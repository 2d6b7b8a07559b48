package io.jamesacme.smime.james;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.MapConfiguration;
import org.apache.james.metrics.tests.RecordingMetricFactory;

import io.jamesacme.smime.acme.AccountManager;
import io.jamesacme.smime.acme.CertificateOrderService;
import io.jamesacme.smime.config.AcmeSmimeConfiguration;
import io.jamesacme.smime.state.FileStateStore;
import io.jamesacme.smime.state.StateStore;
import io.jamesacme.smime.store.PendingChallenges;
import io.jamesacme.smime.store.StatusStore;

/**
 * Real extension services over a temporary storage folder. The directory URL points at a
 * closed loopback port and the trigger delay is an hour, so no test reaches a CA.
 */
final class TestServices {
    final AcmeSmimeConfiguration configuration;
    final PendingChallenges pendingChallenges = new PendingChallenges();
    final StatusStore statuses;
    final CertificateOrderService orders;
    final RecordingMetricFactory metricFactory = new RecordingMetricFactory();
    final ChallengeMetrics metrics = new ChallengeMetrics(metricFactory);
    final StateStore stateStore;
    final ChallengeResponder responder;

    TestServices(Path storage) {
        configuration = AcmeSmimeConfiguration.from(new MapConfiguration(Map.of(
                AcmeSmimeConfiguration.DIRECTORY, "https://127.0.0.1:9/directory",
                AcmeSmimeConfiguration.STORAGE_DIRECTORY, storage.toString(),
                AcmeSmimeConfiguration.PASSPHRASE_SOURCE, "env:TEST_PASSPHRASE",
                AcmeSmimeConfiguration.TRIGGER_DELAY, "1h")),
            storage, name -> Optional.of("test-passphrase"));
        statuses = new StatusStore(storage);
        orders = new CertificateOrderService(configuration, new AccountManager(configuration),
            statuses, pendingChallenges, Clock.systemUTC());
        stateStore = FileStateStore.open(storage.resolve("state"));
        responder = new ChallengeResponder(pendingChallenges, orders, metrics, stateStore);
    }
}
