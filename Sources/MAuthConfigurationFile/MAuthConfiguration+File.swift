import Configuration
public import Foundation
public import MAuth
import SystemPackage

extension MAuthConfiguration {
    /// The file the Rust client and httpie-mauth read: `~/.mauth_config.yml`.
    public static var userConfigurationFile: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.mauth_config.yml"
    }

    /// Reads a YAML configuration file's section, then lets environment variables override it.
    ///
    /// The file is the YAML the other MAuth clients read: `~/.mauth_config.yml` with its `common`
    /// section (the Rust client, httpie-mauth), or the per-environment `config/mauth.yml` of
    /// older Ruby services (a section for each environment), with these keys:
    ///
    /// | key | stands for |
    /// |---|---|
    /// | `mauth_baseurl` | `MAUTH_URL` |
    /// | `mauth_api_version` | `MAUTH_API_VERSION` |
    /// | `app_uuid` | `MAUTH_APP_UUID` |
    /// | `private_key_file` | `MAUTH_PRIVATE_KEY_FILE`; `~` and paths relative to the file's directory are resolved |
    /// | `private_key` | `MAUTH_PRIVATE_KEY` (PEM text) |
    /// | `mauth_mode` | `MAUTH_MODE` (`local` or `remote`) |
    /// | `sign_versions` | `MAUTH_SIGN_VERSIONS` (`v1`, `v2` or `v1,v2`) |
    /// | `v2_only_authenticate` | `MAUTH_V2_ONLY_AUTHENTICATE` (a boolean) |
    /// | `disable_fallback_to_v1_on_v2_failure` | `MAUTH_DISABLE_FALLBACK_TO_V1_ON_V2_FAILURE` (a boolean) |
    ///
    /// A variable set in `environment` wins over the file's key.
    ///
    /// - Parameters:
    ///   - file: the file to read; `nil` reads ``userConfigurationFile`` when it exists.
    ///   - section: the section to read: `common`, or an environment's name.
    ///   - environment: the environment variables; this process's by default.
    /// - Throws: ``/MAuth/MAuthError`` with code `invalidConfiguration`, in one line naming the file
    ///   and, where it applies, the key or the line: a file that cannot be read or does not parse,
    ///   a key of the wrong type, a named file with no MAuth settings in `section`, or a setting
    ///   whose value is unusable (a private key file that cannot be read among them).
    public static func load(
        file: String? = nil, section: String = "common",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(MAuthError) -> MAuthConfiguration {
        let settings = try await fileSettings(file: file, section: section)
        return try MAuthConfiguration(environment: environment, fileSettings: settings)
    }

    private enum Kind {
        case text
        case path
        case boolean
    }

    private static let keys: [(key: String, variable: String, kind: Kind)] = [
        ("mauth_baseurl", "MAUTH_URL", .text),
        ("mauth_api_version", "MAUTH_API_VERSION", .text),
        ("app_uuid", "MAUTH_APP_UUID", .text),
        ("private_key_file", "MAUTH_PRIVATE_KEY_FILE", .path),
        ("private_key", "MAUTH_PRIVATE_KEY", .text),
        ("mauth_mode", "MAUTH_MODE", .text),
        ("sign_versions", "MAUTH_SIGN_VERSIONS", .text),
        ("v2_only_authenticate", "MAUTH_V2_ONLY_AUTHENTICATE", .boolean),
        ("disable_fallback_to_v1_on_v2_failure", "MAUTH_DISABLE_FALLBACK_TO_V1_ON_V2_FAILURE", .boolean),
    ]

    /// The settings of `section` in `file` (or in ``userConfigurationFile`` when it exists), by the
    /// environment variable each stands for.
    static func fileSettings(file: String?, section: String) async throws(MAuthError) -> FileSettings {
        let path = file ?? userConfigurationFile
        if file == nil, !FileManager.default.fileExists(atPath: path) { return FileSettings() }
        let provider: FileProvider<YAMLSnapshot>
        do {
            provider = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
        } catch {
            throw MAuthError(.invalidConfiguration, "\(path): \(Self.oneLine(error))")
        }
        var values: [String: FileSettings.Value] = [:]
        for (key, variable, kind) in keys {
            let source = "\(path): \(section).\(key)"
            let found: ConfigValue?
            do {
                found = try provider.value(
                    forKey: AbsoluteConfigKey([section, key]), type: kind == .boolean ? .bool : .string
                ).value
            } catch {
                throw MAuthError(
                    .invalidConfiguration, "\(source) must be \(kind == .boolean ? "true or false" : "a string")")
            }
            switch found?.content {
            case .string(let text) where kind == .path:
                values[variable] = .init(value: Self.resolve(text, besides: path), source: source)
            case .string(let text):
                values[variable] = .init(value: text, source: source)
            case .bool(let flag):
                values[variable] = .init(value: String(flag), source: source)
            default:
                continue
            }
        }
        if values.isEmpty, file != nil {
            throw MAuthError(
                .invalidConfiguration,
                "\(path): no MAuth settings under '\(section)' (is it the right section, such as common or the environment's name?)"
            )
        }
        return FileSettings(values)
    }

    /// `path` from a configuration file: `~` is the home directory, and a relative path is
    /// relative to the file's directory.
    private static func resolve(_ path: String, besides file: String) -> String {
        if path == "~" || path.hasPrefix("~/") {
            return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
        }
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }

    /// An error's description on one line: a YAML parser's message spans several, the last ones
    /// quoting the source, which are left out.
    private static func oneLine(_ error: any Error) -> String {
        var lines: [String] = []
        for line in String(describing: error).split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            if trimmed.hasSuffix(":") {
                lines.append(String(trimmed.dropLast()))
                break
            }
            lines.append(trimmed)
        }
        return lines.joined(separator: "; ")
    }
}
