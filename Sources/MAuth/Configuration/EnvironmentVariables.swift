/// Reads settings from environment variables, then from a configuration file's settings for the
/// variables that are not set, with errors that name where each value came from.
struct EnvironmentVariables {
    struct Setting {
        let name: String
        let value: String
    }

    private let environment: [String: String]
    private let fileSettings: MAuthConfiguration.FileSettings

    init(_ environment: [String: String], fileSettings: MAuthConfiguration.FileSettings = .init()) {
        self.environment = environment
        self.fileSettings = fileSettings
    }

    /// The first of `names` that is set to a non-empty value, else the file's value for the
    /// first of them.
    func value(of names: String...) -> Setting? {
        for name in names {
            if let value = environment[name], !value.trimmingASCIIWhitespace().isEmpty {
                return Setting(name: name, value: value)
            }
        }
        if let setting = fileSettings.values[names[0]], !setting.value.trimmingASCIIWhitespace().isEmpty {
            return Setting(name: setting.source, value: setting.value)
        }
        return nil
    }

    /// Whether any of `names` is set in the environment itself.
    func isSetInEnvironment(_ names: String...) -> Bool {
        names.contains { environment[$0].map { !$0.trimmingASCIIWhitespace().isEmpty } ?? false }
    }

    /// Converts a setting, prefixing any error with the variable's name.
    func parse<Value>(_ setting: Setting, _ convert: (String) throws(MAuthError) -> Value) throws(MAuthError) -> Value {
        do {
            return try convert(setting.value)
        } catch {
            throw MAuthError(.invalidConfiguration, "\(setting.name): \(error.message)")
        }
    }

    /// Converts a setting, reporting `expected` when `convert` gives `nil`.
    func parse<Value>(_ setting: Setting, expected: String, _ convert: (String) -> Value?) throws(MAuthError) -> Value {
        let trimmed = String(setting.value.trimmingASCIIWhitespace())
        guard let value = convert(trimmed) else {
            throw MAuthError(.invalidConfiguration, "\(setting.name) must be \(expected), not '\(setting.value)'")
        }
        return value
    }

    func parseBoolean(_ setting: Setting) throws(MAuthError) -> Bool {
        try parse(setting, expected: "'true' or 'false'") { text in
            switch text.lowercased() {
            case "true": true
            case "false": false
            default: nil
            }
        }
    }
}
