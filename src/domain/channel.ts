/** The channels a message can leave on; config, router, store and connectors speak these names. */
export const CHANNELS = ['sms', 'lms', 'mms', 'alimtalk', 'friendtalk', 'push'] as const;
export type ChannelName = (typeof CHANNELS)[number];

export function isChannelName(value: string): value is ChannelName {
  return (CHANNELS as readonly string[]).includes(value);
}
