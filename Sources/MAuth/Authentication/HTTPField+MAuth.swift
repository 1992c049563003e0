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
}

extension MAuthVersion {
    /// The name of this version's authentication header.
    public var authenticationHeader: HTTPField.Name {
        self == .v1 ? .mauthV1Authentication : .mauthV2Authentication
    }

    /// The name of this version's time header.
    public var timeHeader: HTTPField.Name {
        self == .v1 ? .mauthV1Time : .mauthV2Time
    }
}
