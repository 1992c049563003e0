/// Computes what a signature will cover of a body while the body streams, so that a body of any
/// size can be signed without being held in memory; made by
/// ``MAuthSigner/bodyDigester(method:target:versions:)`` or
/// ``MAuthSigner/bodyDigester(responseStatus:versions:)`` and signed by
/// ``MAuthSigner/headers(for:)``.
///
/// Everything a signature covers before the body is known from the head, and the signer's app
/// UUID and time come after it, so the time is taken when the headers are made, not when the body
/// began: a body that takes long to read is still signed with a fresh time.
///
/// One owner feeds a digester at a time, and it signs one message.
public final class MAuthSigningDigester {
    enum Subject {
        case request(method: String, target: MAuthRequestTarget)
        case response(status: Int)
    }

    let subject: Subject
    let versions: [MAuthProtocolVersion]
    private let bodyHasher: SHA512Hasher?
    private let stringToSignHasher: SHA512Hasher?
    private var finished = false
    /// How many body bytes have been fed.
    public private(set) var byteCount = 0

    init(subject: Subject, versions: [MAuthProtocolVersion]) {
        self.subject = subject
        self.versions = versions
        bodyHasher = versions.contains(.v2) ? SHA512Hasher() : nil
        guard versions.contains(.v1) else {
            stringToSignHasher = nil
            return
        }
        let hasher = SHA512Hasher()
        let head =
            switch subject {
            case .request(let method, let target): [method, target.path]
            case .response(let status): [String(status)]
            }
        for field in head {
            hasher.update(field.utf8)
            hasher.update(CollectionOfOne(UInt8(ascii: "\n")))
        }
        stringToSignHasher = hasher
    }

    /// Feeds the next bytes of the body.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        byteCount += bytes.count
        bodyHasher?.update(bytes)
        stringToSignHasher?.update(bytes)
    }

    /// Feeds the next bytes of the body.
    public func update(_ bytes: some Collection<UInt8>) {
        bytes.withContiguousBytes { update($0) }
    }

    /// The hexadecimal SHA-512 of the body (for V2) and of the V1 string to sign, which ends with
    /// `appUUID` and `time`; once.
    func finish(appUUID: String, time: String) throws(MAuthError) -> (body: [UInt8]?, v1StringToSign: [UInt8]?) {
        guard !finished else {
            throw MAuthError(.unableToSign, "a body digester signs one message; make a new one for the next")
        }
        finished = true
        stringToSignHasher?.update(Array("\n\(appUUID)\n\(time)".utf8))
        return (bodyHasher?.finishHex(), stringToSignHasher?.finishHex())
    }
}
