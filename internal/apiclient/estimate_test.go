package apiclient

func init() {
	endpoints["EstimateTemplate"] = estimateEndpoint
}
