package io.jamesacme.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Work folders of the end-to-end tests, kept under target/ so that james.log survives a failure. */
final class LabDirectories {

    private LabDirectories() {
    }

    /** Returns an empty folder integration-tests/target/it/{name}, deleting an older run's files. */
    static Path fresh(String name) throws IOException {
        Path directory = ProjectLayout.fromSystemProperty().root()
                .resolve("integration-tests").resolve("target").resolve("it").resolve(name);
        if (Files.exists(directory)) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                    Files.delete(path);
                }
            }
        }
        return Files.createDirectories(directory);
    }
}
