extension MAuthConfiguration {
    /// Settings read from a configuration file, each under the environment variable it stands
    /// for, with where it came from, so that an error can name the file and the key.
    ///
    /// The `MAuthConfigurationFile` library reads them from YAML
    /// (`MAuthConfiguration.load(file:section:environment:)`); hand them to
    /// ``MAuthConfiguration/init(environment:fileSettings:)``.
    public struct FileSettings: Sendable {
        /// A value and where it came from.
        public struct Value: Sendable {
            /// The setting's text, as an environment variable would hold it.
            public var value: String
            /// Where it came from, for errors, such as `~/.mauth_config.yml: common.app_uuid`.
            public var source: String

            /// Creates a value.
            public init(value: String, source: String) {
                self.value = value
                self.source = source
            }
        }

        /// The values, by the environment variable each stands for, such as `MAUTH_URL`.
        public var values: [String: Value]

        /// Creates file settings.
        public init(_ values: [String: Value] = [:]) {
            self.values = values
        }
    }
}
