import { pino, type DestinationStream, type Logger } from "pino";

/**
 * Structured JSON logs. wahook never passes secrets, signatures, tokens or message text to the
 * logger; the redaction below is a second line of defence for objects a host app might log.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "wahook" },
      redact: {
        paths: ["headers.authorization", "headers[\"x-hub-signature-256\"]", "*.accessToken", "*.appSecrets", "*.verifyToken", "*.apiKey", "config"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
