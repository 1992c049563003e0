import HTTPTypes

/// The values of a message's four protocol headers, and the first of them that appears more than
/// once, found in one pass over its fields.
///
/// Looking each header up by name would scan the fields once per name and copy each value found
/// (`HTTPFields` joins the values of a name into a new string); a repeated protocol header makes
/// the message inauthentic, so the first value of each is the only one that counts.
struct ProtocolFieldValues {
    /// The protocol's headers, in the order a repeated one is reported.
    private static let names: [HTTPField.Name] = [
        .mauthV2Authentication, .mauthV2Time, .mauthV1Authentication, .mauthV1Time,
    ]

    private var values: (String?, String?, String?, String?) = (nil, nil, nil, nil)
    /// The first of ``names`` that appears more than once.
    private(set) var repeated: HTTPField.Name?

    init(_ fields: HTTPFields) {
        var seen: UInt8 = 0
        var repeatedBits: UInt8 = 0
        for field in fields {
            guard let index = Self.names.firstIndex(of: field.name) else { continue }
            let bit: UInt8 = 1 << index
            repeatedBits |= seen & bit
            if seen & bit == 0 { set(index, field.value) }
            seen |= bit
        }
        repeated = Self.names.indices.first { repeatedBits & (1 << $0) != 0 }.map { Self.names[$0] }
    }

    /// The authentication header of `version`.
    func authentication(_ version: MAuthProtocolVersion) -> String? {
        version == .v2 ? values.0 : values.2
    }

    /// The time header of `version`.
    func time(_ version: MAuthProtocolVersion) -> String? {
        version == .v2 ? values.1 : values.3
    }

    private mutating func set(_ index: Int, _ value: String) {
        switch index {
        case 0: values.0 = value
        case 1: values.1 = value
        case 2: values.2 = value
        default: values.3 = value
        }
    }
}
