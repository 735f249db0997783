package apiclient

func init() {
	endpoints["ArchiveDays"] = archiveDaysEndpoint
	endpoints["StartRehydrate"] = startRehydrateEndpoint
	endpoints["RehydrateJob"] = rehydrateJobEndpoint
	endpoints["CancelRehydrate"] = cancelRehydrateEndpoint
}
