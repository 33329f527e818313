import type { ChannelName } from '../domain/channel.js';
import { Channel } from '../gen/switchboard/v1/gateway.js';

const TO_WIRE: Record<ChannelName, Channel> = {
  sms: Channel.CHANNEL_SMS,
  lms: Channel.CHANNEL_LMS,
  mms: Channel.CHANNEL_MMS,
  alimtalk: Channel.CHANNEL_ALIMTALK,
  friendtalk: Channel.CHANNEL_FRIENDTALK,
  push: Channel.CHANNEL_PUSH,
};
const FROM_WIRE = new Map<Channel, ChannelName>(Object.entries(TO_WIRE).map(([name, wire]) => [wire, name as ChannelName]));

/** The gateway API's enum for a channel; UNSPECIFIED for none. */
export function toGatewayChannel(channel: ChannelName | null): Channel {
  return channel === null ? Channel.CHANNEL_UNSPECIFIED : TO_WIRE[channel];
}

/** The channel name for the gateway API's enum; undefined for UNSPECIFIED or a value this version does not know. */
export function fromGatewayChannel(channel: Channel): ChannelName | undefined {
  return FROM_WIRE.get(channel);
}
