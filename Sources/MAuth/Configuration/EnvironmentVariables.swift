/// Reads settings from environment variables with errors that name the variable.
struct EnvironmentVariables {
    struct Setting {
        let name: String
        let value: String
    }

    private let environment: [String: String]

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    /// The first of `names` that is set to a non-empty value.
    func value(of names: String...) -> Setting? {
        for name in names {
            if let value = environment[name], !value.trimmingASCIIWhitespace().isEmpty {
                return Setting(name: name, value: value)
            }
        }
        return nil
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
