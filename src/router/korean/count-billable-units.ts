import type { ChannelName } from '../../domain/channel.js';

/**
 * How many units a supplier bills for one message sent on `channel`.
 *
 * The model: one message is one unit on every channel. Korean carriers do not concatenate SMS the
 * way GSM networks do: a text past the SMS limit is sent as one LMS (up to 2,000 bytes), never as
 * several SMS, and a text past the LMS limit is rejected rather than split (see chooseTextChannel).
 * MMS, AlimTalk, FriendTalk and push are likewise billed per message. What differs between channels
 * is the price of a unit, so quotas and reports count `(channel, units)` pairs, not units alone.
 *
 * A message that falls back is billed once on each channel that accepted it (an AlimTalk the
 * supplier accepted and then reported undeliverable may or may not be billed, by contract): the
 * caller records units per attempt, with the attempt's channel.
 *
 * It takes the channel, although the answer is the same for all, so that a supplier contract that
 * bills otherwise (an MMS with several attachments, say) changes this one place.
 */
export function countBillableUnits(channel: ChannelName): number {
  switch (channel) {
    case 'sms':
    case 'lms':
    case 'mms':
    case 'alimtalk':
    case 'friendtalk':
    case 'push':
      return 1;
  }
}
