package dev.trellis.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code trellis} command. */
@Command(
        name = "trellis",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Trellis: a service mesh with a Netty data plane.",
        subcommands = {
            ProxyCommand.class,
            ControlPlaneCommand.class,
            ApplyCommand.class,
            GetCommand.class,
            DeleteCommand.class,
            ProxyStatusCommand.class,
            BootstrapCommand.class,
            DemoCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        Logging.configure();
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: choose one of "
                + spec.subcommands().keySet().stream().filter(c -> !c.equals("help")).toList());
    }

    /** The version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/trellis-version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {
                "trellis " + properties.getProperty("version", "unknown"),
                "JVM: " + System.getProperty("java.vm.name") + " " + Runtime.version()
            };
        }
    }
}
