package apiclient

func init() { endpoints["ArchiveDays"] = archiveDaysEndpoint }
