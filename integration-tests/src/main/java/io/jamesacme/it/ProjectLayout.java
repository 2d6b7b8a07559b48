package io.jamesacme.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Build outputs of this repository that a James deployment is made from: the sample configuration,
 * the packaged extension jars and the James runtime classpath.
 */
public final class ProjectLayout {

    /** System property with the repository root; the current directory is used without it. */
    public static final String ROOT_PROPERTY = "jamesacme.root";

    static final String EXTENSION_JAR_NAME = "james-acme-smime-mailet-0.1.0-SNAPSHOT.jar";

    private final Path root;

    private ProjectLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** Returns the layout of the repository rooted at {@code root}. */
    public static ProjectLayout at(Path root) {
        return new ProjectLayout(root);
    }

    /** Returns the layout of the repository named by {@value #ROOT_PROPERTY}, or of the current directory. */
    public static ProjectLayout fromSystemProperty() {
        String root = System.getProperty(ROOT_PROPERTY, System.getProperty("user.dir"));
        return at(Path.of(root));
    }

    public Path root() {
        return root;
    }

    /** Sample James configuration folder, copied as {@code conf/} into each working directory. */
    public Path sampleConfiguration() {
        return root.resolve("james-config").resolve("conf");
    }

    public Path extensionJar() {
        return root.resolve("mailet").resolve("target").resolve(EXTENSION_JAR_NAME);
    }

    /** Runtime dependencies of the extension, deployed next to its jar. */
    public Path extensionDependencies() {
        return root.resolve("mailet").resolve("target").resolve("extensions-jars");
    }

    /** File written by the james-runtime module, with the classpath of James 3.8.1. */
    public Path jamesClasspathFile() {
        return root.resolve("james-runtime").resolve("target").resolve("james-classpath.txt");
    }

    /** Returns the James classpath, read from {@link #jamesClasspathFile()}. */
    public String jamesClasspath() {
        try {
            return Files.readString(jamesClasspathFile()).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read " + jamesClasspathFile(), e);
        }
    }

    /** Returns every jar an operator copies into James' extensions-jars/ folder. */
    public List<Path> extensionJars() {
        List<Path> jars = new ArrayList<>();
        jars.add(extensionJar());
        try (Stream<Path> dependencies = Files.list(extensionDependencies())) {
            dependencies.filter(path -> path.getFileName().toString().endsWith(".jar"))
                    .sorted()
                    .forEach(jars::add);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to list " + extensionDependencies(), e);
        }
        return jars;
    }

    /**
     * Checks that every build output exists.
     *
     * @throws IllegalStateException naming the missing paths and the build command that makes them
     */
    public void requireBuilt() {
        List<String> missing = new ArrayList<>();
        for (Path path : List.of(sampleConfiguration(), extensionJar(), extensionDependencies(), jamesClasspathFile())) {
            if (!Files.exists(path)) {
                missing.add(path.toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Build outputs not found: " + String.join(", ", missing)
                    + ". Run 'mvn -B -DskipTests install' in " + root + " first.");
        }
    }
}
