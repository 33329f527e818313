import type { ChannelName } from '../domain/channel.js';
import { Channel } from '../gen/switchboard/provider/v1/provider.js';

const TO_WIRE: Record<ChannelName, Channel> = {
  sms: Channel.CHANNEL_SMS,
  lms: Channel.CHANNEL_LMS,
  mms: Channel.CHANNEL_MMS,
  alimtalk: Channel.CHANNEL_ALIMTALK,
  friendtalk: Channel.CHANNEL_FRIENDTALK,
  push: Channel.CHANNEL_PUSH,
};

/** The provider API's enum for a channel. */
export function toProviderChannel(channel: ChannelName): Channel {
  return TO_WIRE[channel];
}

/** The channel name for the provider API's enum; null for unspecified or unknown values. */
export function fromProviderChannel(channel: Channel): ChannelName | null {
  for (const [name, wire] of Object.entries(TO_WIRE)) if (wire === channel) return name as ChannelName;
  return null;
}
