public import HTTPTypes

/// Computes what a MAuth signature covers of a body while the body streams, so that a body of any
/// size can be authenticated without being held in memory.
///
/// ```swift
/// let digester = MAuthBodyDigester(method: "POST", target: target, headers: headers)
/// for try await chunk in body { chunk.withUnsafeReadableBytes { digester.update($0) } }
/// let identity = try await authenticator.authenticate(
///     method: "POST", target: target, headers: headers, bodyDigest: digester.finish())
/// ```
///
/// Everything a signature covers besides the body is known from the head, so each digest is fed
/// as the bytes arrive: for a V2 signature the SHA-512 of the body (PROTOCOL.md §3.3); for a V1
/// signature the SHA-512 of the whole string to sign, the body in its middle (§3.2, §5.2), once
/// for the path as received and once more for the path the Python client signs when the two
/// differ. Only the digests of the protocol versions whose headers the message carries are
/// computed.
///
/// One owner feeds a digester at a time; ``finish()`` ends it.
public final class MAuthBodyDigester {
    private let bodyHasher: SHA512Hasher?
    private let stringToSignHashers: [(path: String, hasher: SHA512Hasher)]
    private let stringToSignEnd: [UInt8]
    /// How many body bytes have been fed.
    public private(set) var byteCount = 0

    /// A digester for the body of the request whose head is `method`, `target` and `headers`.
    public convenience init(method: String, target: MAuthRequestTarget, headers: HTTPFields) {
        var paths = [target.path]
        if let pythonPath = SignedMessage.pythonPath(target.path) { paths.append(pythonPath) }
        self.init(v1Heads: paths.map { (path: $0, head: [method, $0]) }, headers: headers)
    }

    /// A digester for the body of a response with status code `status` and `headers`.
    public convenience init(responseStatus status: Int, headers: HTTPFields) {
        self.init(v1Heads: [(path: "", head: [String(status)])], headers: headers)
    }

    private init(v1Heads: [(path: String, head: [String])], headers: HTTPFields) {
        let fields = ProtocolFieldValues(headers)
        bodyHasher = fields.authentication(.v2) == nil ? nil : SHA512Hasher()
        guard let value = fields.authentication(.v1),
            let header = try? AuthenticationHeaderValue.parse(value, version: .v1)
        else {
            stringToSignHashers = []
            stringToSignEnd = []
            return
        }
        stringToSignEnd = Array("\n\(header.appUUID)\n\(fields.time(.v1) ?? "")".utf8)
        stringToSignHashers = v1Heads.map { path, head in
            let hasher = SHA512Hasher()
            for field in head {
                hasher.update(field.utf8)
                hasher.update(CollectionOfOne(UInt8(ascii: "\n")))
            }
            return (path, hasher)
        }
    }

    /// Feeds the next bytes of the body.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        byteCount += bytes.count
        bodyHasher?.update(bytes)
        for (_, hasher) in stringToSignHashers { hasher.update(bytes) }
    }

    /// Feeds the next bytes of the body.
    public func update(_ bytes: some Collection<UInt8>) {
        bytes.withContiguousBytes { update($0) }
    }

    /// The digests of the whole body; the digester takes nothing more.
    public func finish() -> MAuthBodyDigest {
        var stringToSignDigests: [String: [UInt8]] = [:]
        for (path, hasher) in stringToSignHashers {
            hasher.update(stringToSignEnd)
            stringToSignDigests[path] = hasher.finishHex()
        }
        return MAuthBodyDigest(
            byteCount: byteCount, bodyHexDigest: bodyHasher?.finishHex(), v1HexDigests: stringToSignDigests)
    }
}
