public import HTTPPipeline
public import MAuthIntegration

extension MAuthIdentityRequired: HTTPResponseError {
    /// The 401 response, as the pipeline sends it.
    public var response: Response { .json(body, status: status) }
}
