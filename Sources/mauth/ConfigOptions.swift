import ArgumentParser
import MAuth
import MAuthConfigurationFile

/// `--config` and `--config-section`: the YAML configuration file the other MAuth clients read,
/// under the environment's variables.
struct ConfigOptions: ParsableArguments {
    @Option(
        help: """
            A YAML configuration file, such as a Ruby service's config/mauth.yml (default: \
            ~/.mauth_config.yml when it exists). The environment's variables win over it.
            """)
    var config: String?

    @Option(help: "The file's section to read: common (the default), or an environment's name.")
    var configSection = "common"

    /// The configuration: the file's section under the environment. A file or a setting that
    /// cannot be used is a usage error, and no part of the configuration is used.
    func load() async throws -> MAuthConfiguration {
        do {
            return try await MAuthConfiguration.load(file: config, section: configSection)
        } catch {
            throw CommandFailure.usage(error.message)
        }
    }
}
