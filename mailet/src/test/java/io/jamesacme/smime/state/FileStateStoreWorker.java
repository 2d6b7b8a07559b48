package io.jamesacme.smime.state;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One side of the cross-process test of {@link FileStateStoreProcessTest}: claims every challenge
 * URL and tries to create an order for one of a few addresses, in a shuffled sequence, on a
 * shared store folder. Each result is one output line, {@code claim <n> <won>} or
 * {@code order <id> <address>}, between {@code start <epoch ms>} and {@code end <epoch ms>}.
 *
 * <p>As a program: {@code FileStateStoreWorker <folder> <claimant> <seed> <count>}. It prints
 * {@code ready}, waits for a line on standard input, runs, and prints {@code done}.
 */
public final class FileStateStoreWorker {
    static final int ADDRESSES = 20;

    private FileStateStoreWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args[0]);
        String claimant = args[1];
        long seed = Long.parseLong(args[2]);
        int count = Integer.parseInt(args[3]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

        try (StateStore store = FileStateStore.open(folder)) {
            out.println("ready");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            run(store, claimant, seed, count, out::println);
        }
        out.println("done");
    }

    static String challengeUrl(int n) {
        return "https://ca.test/chall/" + n;
    }

    static String address(int n) {
        return "user-" + (n % ADDRESSES) + "@example.test";
    }

    /**
     * Claims challenge {@code n} and tries to create an order for {@link #address(int)}, for
     * each {@code n < count} in an order shuffled by {@code seed}. An order created at a step
     * {@code n} that is not a multiple of 4 is finished at once, which makes room for the next
     * order of the address. The others stay active.
     */
    static void run(StateStore store, String claimant, long seed, int count, Consumer<String> output) {
        List<Integer> sequence = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            sequence.add(n);
        }
        Collections.shuffle(sequence, new Random(seed));
        Instant now = Instant.now();

        output.accept("start " + System.currentTimeMillis());
        for (int n : sequence) {
            boolean won = store.claimChallenge(challengeUrl(n), claimant, now);
            output.accept("claim " + n + " " + won);

            Optional<OrderRecord> created = store.createOrder(UUID.randomUUID().toString(), address(n), now);
            if (created.isPresent()) {
                output.accept("order " + created.get().id() + " " + address(n));
                if (n % 4 != 0) {
                    store.update(created.get().withState(OrderState.STORED, now));
                }
            }
        }
        output.accept("end " + System.currentTimeMillis());
    }
}
