package io.jamesacme.smime.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.james.core.Username;
import org.apache.james.user.api.UsersRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jamesacme.smime.state.OrderRecord;

/**
 * The provisioning scan over a real file store. The directory URL of {@link TestServices}
 * points at a closed port, so an order the scan starts never reaches a CA.
 */
class AutomaticProvisioningTest {
    private static final String ALICE = "alice@example.test";

    @TempDir
    Path storage;

    private TestServices services;
    private AutomaticProvisioning provisioning;

    @BeforeEach
    void setUp() {
        services = new TestServices(storage);
        provisioning = new AutomaticProvisioning(services.configuration, services.orders,
            users(ALICE), services.stateStore);
    }

    @AfterEach
    void tearDown() {
        services.stateStore.close();
    }

    /**
     * A failed order records when a new order may replace it (OrderRecord.retryAt, set to now
     * plus provisioning.interval). A scan before that time must leave the address alone.
     */
    @Test
    void scanWaitsForRetryTimeOfFailedOrder() throws Exception {
        Instant now = Instant.now();
        OrderRecord order = services.createOrder(ALICE);
        services.stateStore.update(order.failed("the CA rejected the identifier",
            now.plus(Duration.ofHours(1)), now));

        int requested = provisioning.scan();

        assertThat(requested).isZero();
        assertThat(services.stateStore.orders(ALICE)).hasSize(1);
        assertThat(services.stateStore.activeOrder(ALICE)).isEmpty();
    }

    /** Returns a users repository that lists {@code addresses} and supports nothing else. */
    private static UsersRepository users(String... addresses) {
        List<Username> names = List.of(addresses).stream().map(Username::of).toList();
        return (UsersRepository) Proxy.newProxyInstance(UsersRepository.class.getClassLoader(),
            new Class<?>[] {UsersRepository.class}, (proxy, method, arguments) -> {
                if (method.getName().equals("list")) {
                    return names.iterator();
                }
                throw new UnsupportedOperationException(method.getName());
            });
    }
}
