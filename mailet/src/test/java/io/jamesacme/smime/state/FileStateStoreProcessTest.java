package io.jamesacme.smime.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs work on one {@link FileStateStore} folder at the same time: this one and a child
 * started with the test class path, which runs {@link FileStateStoreWorker}. Only the file
 * lock keeps them apart, because the JVM-wide lock does not reach the child.
 */
class FileStateStoreProcessTest {
    private static final int COUNT = 200;
    /** Both JVMs walk the same shuffled sequence, so they often reach a URL at nearly the same time. */
    private static final String SEED = "1";

    @TempDir
    Path folder;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void twoProcessesKeepTheInvariants() throws Exception {
        Path childLog = folder.resolve("child.log");
        Path store = folder.resolve("state");
        FileStateStore.open(store).close();
        Process child = startChild(store, childLog);
        List<String> childLines = new ArrayList<>();
        List<String> parentLines = new ArrayList<>();

        try (BufferedReader childOut = new BufferedReader(
                 new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             OutputStream childIn = child.getOutputStream()) {
            assertThat(childOut.readLine()).as("first line of the child, log in %s", childLog)
                .isEqualTo("ready");
            CompletableFuture<Void> childDone = CompletableFuture.runAsync(() -> readAll(childOut, childLines));
            childIn.write("go\n".getBytes(StandardCharsets.US_ASCII));
            childIn.flush();

            try (StateStore parent = FileStateStore.open(store)) {
                FileStateStoreWorker.run(parent, "parent", Long.parseLong(SEED), COUNT, parentLines::add);
            }
            childDone.get(30, TimeUnit.SECONDS);
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).as("exit code of the child, log in %s", childLog).isZero();
        assertThat(childLines).last().isEqualTo("done");
        checkRunsOverlap(parentLines, childLines);
        checkOneClaimWinnerPerUrl(parentLines, childLines);
        checkOrders(store, parentLines, childLines);
        checkNoDamagedOrTemporaryFiles(store);
    }

    private static Process startChild(Path store, Path log) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(),
            "-cp", System.getProperty("java.class.path"),
            FileStateStoreWorker.class.getName(),
            store.toString(), "child", SEED, Integer.toString(COUNT));
        builder.redirectError(log.toFile());
        return builder.start();
    }

    private static void readAll(BufferedReader reader, List<String> lines) {
        try {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Reading the child's output failed", e);
        }
    }

    /** Checks that the two runs overlapped in time, or the test would prove nothing. */
    private static void checkRunsOverlap(List<String> parentLines, List<String> childLines) {
        long parentStart = time(parentLines, "start");
        long parentEnd = time(parentLines, "end");
        long childStart = time(childLines, "start");
        long childEnd = time(childLines, "end");
        System.out.printf("this JVM ran %d ms, the child %d ms, overlapping %d ms%n",
            parentEnd - parentStart, childEnd - childStart,
            Math.min(parentEnd, childEnd) - Math.max(parentStart, childStart));

        assertThat(childStart).as("start of the child").isLessThan(parentEnd);
        assertThat(parentStart).as("start of this JVM").isLessThan(childEnd);
    }

    private static long time(List<String> lines, String event) {
        return lines.stream()
            .filter(line -> line.startsWith(event + " "))
            .mapToLong(line -> Long.parseLong(line.substring(event.length() + 1)))
            .findFirst()
            .orElseThrow(() -> new AssertionError("No '" + event + "' line in " + lines));
    }

    private static void checkOneClaimWinnerPerUrl(List<String> parentLines, List<String> childLines) {
        Map<Integer, Integer> winners = new HashMap<>();
        int parentWins = countWins(parentLines, winners);
        int childWins = countWins(childLines, winners);

        System.out.printf("claims won: this JVM %d, the child %d%n", parentWins, childWins);
        assertThat(winners).hasSize(COUNT);
        assertThat(winners.values()).as("winners per challenge URL").containsOnly(1);
        assertThat(parentWins + childWins).isEqualTo(COUNT);
    }

    private static int countWins(List<String> lines, Map<Integer, Integer> winners) {
        int wins = 0;
        for (String line : lines) {
            String[] parts = line.split(" ");
            if (parts[0].equals("claim")) {
                int n = Integer.parseInt(parts[1]);
                int won = Boolean.parseBoolean(parts[2]) ? 1 : 0;
                winners.merge(n, won, Integer::sum);
                wins += won;
            }
        }
        return wins;
    }

    private static void checkOrders(Path store, List<String> parentLines, List<String> childLines)
        throws IOException {
        List<String> created = new ArrayList<>();
        Stream.concat(parentLines.stream(), childLines.stream())
            .filter(line -> line.startsWith("order "))
            .forEach(line -> created.add(line.split(" ")[1]));

        // Read every order file directly, because the store's own lookups go through the
        // index, which would hide a second active order of an address.
        Map<String, Integer> activePerAddress = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (Path file : FileRecordIo.records(store.resolve("orders"))) {
            OrderRecord order = FileRecords.order(FileRecordIo.decode(Files.readAllBytes(file)));
            ids.add(order.id());
            if (order.state().isActive()) {
                activePerAddress.merge(order.address(), 1, Integer::sum);
            }
        }

        assertThat(ids).containsExactlyInAnyOrderElementsOf(created);
        assertThat(activePerAddress.values()).as("active orders per address").containsOnly(1);
        try (StateStore reopened = FileStateStore.open(store)) {
            assertThat(reopened.activeOrders()).hasSize(activePerAddress.size());
        }
    }

    private static void checkNoDamagedOrTemporaryFiles(Path store) throws IOException {
        try (Stream<Path> walk = Files.walk(store)) {
            List<String> leftovers = walk.map(path -> path.getFileName().toString())
                .filter(name -> name.endsWith(FileRecordIo.CORRUPT_SUFFIX)
                    || name.endsWith(FileRecordIo.TEMPORARY_SUFFIX))
                .toList();
            assertThat(leftovers).isEmpty();
        }
    }
}
