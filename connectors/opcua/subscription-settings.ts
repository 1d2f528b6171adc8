/**
 * The subscription and monitoring parameters the OPC UA connector asks for, in one place so that
 * bench:opcua's bare-client baseline subscribes exactly as the connector does.
 */
import { DataChangeFilter, DataChangeTrigger, DeadbandType, type MonitoringParametersOptions } from 'node-opcua';

export const KEEP_ALIVE_COUNT = 10;

/** CreateSubscription: the device's publishing interval, every change of a publish in one response. */
export function subscriptionRequest(publishingIntervalMs: number) {
  return {
    requestedPublishingInterval: publishingIntervalMs,
    requestedMaxKeepAliveCount: KEEP_ALIVE_COUNT,
    requestedLifetimeCount: KEEP_ALIVE_COUNT * 6,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 1,
  };
}

/** A monitored item's parameters: the newest values kept (discardOldest), an absolute deadband when > 0. */
export function monitoringParameters(samplingInterval: number, queueSize: number, absoluteDeadband: number): MonitoringParametersOptions {
  const filter =
    absoluteDeadband > 0 ? new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: DeadbandType.Absolute, deadbandValue: absoluteDeadband }) : null;
  return { samplingInterval, queueSize, discardOldest: true, filter };
}
