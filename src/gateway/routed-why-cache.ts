/**
 * ROUTED's `why`: the route's reason joined with the supplier pick's, e.g. `route "alerts" (...);
 * provider "sms-a": channel "sms" priority group 1: ...`. A batch has a handful of distinct ones,
 * so each is built once and the same string is shared by every message's history, instead of a
 * new ~140-byte string per message.
 */
export class RoutedWhyCache {
  /** route why -> provider id -> pick why -> joined text. */
  private readonly byRoute = new Map<string, Map<string, Map<string, string>>>();
  private size = 0;

  get(routeWhy: string, providerId: string, pickWhy: string): string {
    const known = this.byRoute.get(routeWhy)?.get(providerId)?.get(pickWhy);
    if (known !== undefined) return known;
    // Adaptive weights put numbers in the pick's why: start over rather than grow without bound.
    if (this.size >= MAX_ENTRIES) {
      this.byRoute.clear();
      this.size = 0;
    }
    let byProvider = this.byRoute.get(routeWhy);
    if (byProvider === undefined) this.byRoute.set(routeWhy, (byProvider = new Map()));
    let byPick = byProvider.get(providerId);
    if (byPick === undefined) byProvider.set(providerId, (byPick = new Map()));
    const text = `${routeWhy}; provider "${providerId}": ${pickWhy}`;
    byPick.set(pickWhy, text);
    this.size++;
    return text;
  }
}

const MAX_ENTRIES = 1024;
