/// How far a server's clock is from the signer's, read from the `Date` of a response that refused
/// a signature.
///
/// A MAuth server refuses a signature whose time is more than its allowed drift (300 s) from its
/// own clock, with the same 401 as a forged one. When the refusal's `Date` shows that the two
/// clocks are that far apart, the clock is the likely cause, and this says by how much:
///
/// ```swift
/// if let skew = MAuthClockSkew(status: 401, date: response.headers["Date"], signingTime: signedAt) {
///     print(skew)  // the server's clock is 412 s ahead of this machine's; MAuth allows 300 s
///     let corrected = signer.correcting(skew)  // signs with the server's time
/// }
/// ```
public struct MAuthClockSkew: Sendable, Hashable, CustomStringConvertible {
    /// Seconds the server's clock is ahead of the signer's; negative when it is behind.
    public let seconds: Int64
    /// The drift the server was assumed to allow.
    public let allowedDrift: Duration

    /// The skew a response shows, or `nil` when it shows none worth reporting: the response is not
    /// a 401, has no `Date` in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`), or its time
    /// is within `allowedDrift` of `signingTime`.
    ///
    /// - Parameters:
    ///   - status: the response's status code.
    ///   - date: the response's `Date` field.
    ///   - signingTime: the time the request was signed with, in seconds since the Unix epoch (its
    ///     time header).
    ///   - allowedDrift: how far apart the clocks may be before the server refuses; 300 s, as
    ///     every MAuth server allows.
    public init?(status: Int, date: String?, signingTime: Int64, allowedDrift: Duration = .seconds(300)) {
        guard status == 401, let date, let serverTime = Self.seconds(ofHTTPDate: date) else { return nil }
        let seconds = serverTime - signingTime
        guard abs(seconds) > allowedDrift.wholeSeconds else { return nil }
        self.seconds = seconds
        self.allowedDrift = allowedDrift
    }

    /// `clock` moved by the skew: it reads the server's time.
    public func correcting(_ clock: MAuthClock) -> MAuthClock {
        let seconds = self.seconds
        return MAuthClock(seconds: { clock.now() + seconds }, instant: { clock.instant() })
    }

    /// The skew in words, for an error message.
    public var description: String {
        let direction = seconds > 0 ? "ahead of" : "behind"
        return
            "the server's clock is \(abs(seconds)) s \(direction) this machine's; MAuth allows \(allowedDrift.wholeSeconds) s"
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since the Unix epoch of an HTTP date in the IMF-fixdate form (RFC 9110 §5.6.7),
    /// the only form a server may send.
    static func seconds(ofHTTPDate text: String) -> Int64? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[0].hasSuffix(","), fields[5] == "GMT",
            let day = Int64(fields[1]), (1...31).contains(day),
            let month = months.firstIndex(of: String(fields[2])),
            let year = Int64(fields[3]), fields[3].count == 4
        else { return nil }
        let clock = fields[4].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
            hour < 24, minute < 60, second < 61
        else { return nil }
        return daysFromCivil(year: year, month: Int64(month) + 1, day: day) * 86_400 + hour * 3600 + minute * 60
            + second
    }

    /// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Howard Hinnant's
    /// algorithm).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension MAuthSigner {
    /// This signer with its clock moved by `skew`, to sign a refused request again with the
    /// server's time.
    public func correcting(_ skew: MAuthClockSkew) -> MAuthSigner {
        MAuthSigner(checkedAppUUID: appUUID, privateKey: privateKey, versions: versions, clock: skew.correcting(clock))
    }
}
