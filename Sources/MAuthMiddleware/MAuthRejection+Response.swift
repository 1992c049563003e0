public import HTTPPipeline
public import MAuthIntegration

extension MAuthRejection {
    /// The pipeline response that carries this rejection.
    public var response: Response { .json(body, status: status) }
}
