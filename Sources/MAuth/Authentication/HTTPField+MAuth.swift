public import HTTPTypes

extension HTTPField.Name {
    /// `X-MWS-Authentication`, the V1 authentication header.
    public static let mauthV1Authentication = HTTPField.Name("X-MWS-Authentication")!
    /// `X-MWS-Time`, the V1 time header.
    public static let mauthV1Time = HTTPField.Name("X-MWS-Time")!
    /// `MCC-Authentication`, the V2 authentication header.
    public static let mauthV2Authentication = HTTPField.Name("MCC-Authentication")!
    /// `MCC-Time`, the V2 time header.
    public static let mauthV2Time = HTTPField.Name("MCC-Time")!

    /// Every header a MAuth signature is made of, both versions: what a signer replaces and what a
    /// proxy never forwards unless it made it.
    public static let mauthSignatureFields: [HTTPField.Name] = [
        .mauthV1Authentication, .mauthV1Time, .mauthV2Authentication, .mauthV2Time,
    ]
}

extension HTTPFields {
    /// Removes every MAuth signature field (both versions) and appends `fields`: a message's
    /// signature replaced by a new one.
    public mutating func replaceMAuthFields(with fields: HTTPFields) {
        for name in HTTPField.Name.mauthSignatureFields {
            self[name] = nil
        }
        append(contentsOf: fields)
    }
}
