import Locking

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `Date` field every response carries (RFC 9110 §6.6.1), such as
/// `Sun, 06 Nov 1994 08:49:37 GMT`: formatted once a second and shared, since a busy server
/// answers many requests within one.
///
/// A client reads it to tell how far its clock is from the server's, which is what a MAuth client
/// needs when its signature is refused for its time.
final class ResponseDate: Sendable {
    private struct Formatted {
        var second: Int
        var text: String
    }

    private let latest = Locked(Formatted(second: -1, text: ""))

    /// The field's value for the current second.
    func current() -> String {
        let now = Int(time(nil))
        return latest.withLock { latest in
            if latest.second != now {
                latest = Formatted(second: now, text: Self.format(secondsSinceEpoch: now))
            }
            return latest.text
        }
    }

    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `seconds` since the Unix epoch in the IMF-fixdate form.
    static func format(secondsSinceEpoch seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(weekdays[((days % 7) + 7) % 7]), \(twoDigits(day)) \(months[month - 1]) \(year) "
            + "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) GMT"
    }

    /// The year, month and day of `days` since 1970-01-01 in the proleptic Gregorian calendar
    /// (Howard Hinnant's algorithm).
    private static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
