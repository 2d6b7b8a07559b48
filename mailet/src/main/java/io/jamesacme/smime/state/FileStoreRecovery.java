package io.jamesacme.smime.state;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.state.FileRecords.AddressIndex;
import io.jamesacme.smime.state.FileRecords.Claim;

/**
 * Repairs a store folder after a crash, when a {@link FileStateStore} opens. It runs under the
 * store lock, so no other process is writing.
 *
 * <ul>
 *   <li>Temporary files are deleted: their write never reached the rename, so the old record
 *       is still in place.</li>
 *   <li>A record that fails its digest check or does not parse is moved aside to
 *       {@code *.corrupt}, with a WARN naming it. Such a file is left by a crash on a file
 *       system whose rename is not atomic, or by damage from outside.</li>
 *   <li>A damaged claim is replaced by a claim of unknown claimant, because the response to
 *       the challenge may have been sent, and a second claim must never win.</li>
 *   <li>An address index that is missing, or that does not lead to the address's active order,
 *       is written again from the order files.</li>
 * </ul>
 */
final class FileStoreRecovery {
    private static final Logger LOGGER = LoggerFactory.getLogger(FileStoreRecovery.class);

    /** The counts that the store logs after opening. */
    record Summary(int temporaryFilesDeleted, int orders, int activeOrders, int indexesRepaired) {
    }

    private final FileStoreLayout layout;
    private final FileRecordIo io;
    private final FileOrders orders;

    FileStoreRecovery(FileStoreLayout layout, FileRecordIo io, FileOrders orders) {
        this.layout = layout;
        this.io = io;
        this.orders = orders;
    }

    Summary run(Instant now) throws IOException {
        int temporaryFiles = io.deleteTemporaryFiles(layout.root());
        for (Path folder : layout.folders()) {
            io.createFolder(folder);
            temporaryFiles += io.deleteTemporaryFiles(folder);
        }

        io.read(layout.account(), FileRecords::account);
        List<OrderRecord> all = orders.all();
        int indexesRepaired = repairIndexes(all);
        checkClaims(now);
        for (Path file : FileRecordIo.records(layout.leases())) {
            io.read(file, FileRecords::lease);
        }
        int active = (int) FileOrders.activeOf(all).count();
        return new Summary(temporaryFiles, all.size(), active, indexesRepaired);
    }

    private int repairIndexes(List<OrderRecord> all) throws IOException {
        Map<String, List<OrderRecord>> byAddress = new LinkedHashMap<>();
        for (OrderRecord order : all) {
            byAddress.computeIfAbsent(order.address(), address -> new ArrayList<>()).add(order);
        }
        int repaired = 0;
        for (Map.Entry<String, List<OrderRecord>> entry : byAddress.entrySet()) {
            if (repairIndex(entry.getKey(), entry.getValue())) {
                repaired++;
            }
        }
        // Reading every index also quarantines the damaged ones of addresses without orders.
        for (Path file : FileRecordIo.records(layout.addresses())) {
            io.read(file, FileRecords::addressIndex);
        }
        return repaired;
    }

    /** Rewrites the index of {@code address} unless it leads to the order it should. */
    private boolean repairIndex(String address, List<OrderRecord> ordersOfAddress)
        throws IOException {
        Optional<AddressIndex> index = orders.readIndex(address);
        Optional<OrderRecord> indexed = index.isPresent()
            ? orders.latest(index.get())
            : Optional.empty();
        List<OrderRecord> active = FileOrders.activeOf(ordersOfAddress)
            .sorted(FileOrders.OLDEST_FIRST)
            .toList();
        if (active.size() > 1) {
            LOGGER.warn("The state store {} has {} active orders for {}, so only the newest, {},"
                    + " stays reachable", layout.root(), active.size(), address,
                active.get(active.size() - 1).id());
        }

        Optional<String> stored = ordersOfAddress.stream()
            .filter(order -> order.state() == OrderState.STORED)
            .max(FileOrders.OLDEST_FIRST)
            .map(OrderRecord::id);

        OrderRecord expected;
        if (!active.isEmpty()) {
            expected = active.get(active.size() - 1);
        } else if (indexed.isPresent()) {
            expected = indexed.get();
        } else {
            expected = ordersOfAddress.stream().max(FileOrders.OLDEST_FIRST).orElseThrow();
        }
        boolean latestRight = indexed.map(order -> order.id().equals(expected.id())).orElse(false);
        boolean storedRight = index.map(AddressIndex::stored).equals(Optional.of(stored));
        if (latestRight && storedRight) {
            return false;
        }

        Optional<String> previous = latestRight
            ? index.flatMap(AddressIndex::previous)
            : indexed.map(OrderRecord::id);
        orders.writeIndex(new AddressIndex(address, expected.id(), previous, stored));
        LOGGER.warn("Rebuilt the order index of {} in the state store {}: the latest order is {},"
            + " the latest stored one {}", address, layout.root(), expected.id(),
            stored.orElse("none"));
        return true;
    }

    private void checkClaims(Instant now) throws IOException {
        for (Path file : FileRecordIo.records(layout.claims())) {
            Optional<Claim> claim = io.read(file, FileRecords::claim);
            if (claim.isEmpty()) {
                // The name is the digest of the URL, so the claim still blocks that URL.
                Claim unknown = new Claim("unknown, replaced a damaged claim file", "unknown", now);
                io.write(file, "james-acme-smime challenge claim", FileRecords.claim(unknown));
            }
        }
    }
}
