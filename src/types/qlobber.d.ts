declare module 'qlobber/aedes/qlobber-sub.js' {
  interface QlobberOptions {
    wildcard_one: string;
    wildcard_some: string;
    separator: string;
    match_empty_levels?: boolean;
  }
  export interface SubValue {
    clientId: string;
    topic: string;
    qos: number;
    [key: string]: unknown;
  }
  class QlobberSub {
    constructor(options: QlobberOptions);
    subscriptionsCount: number;
    add(topic: string, value: SubValue): this;
    remove(topic: string, value: { clientId: string; topic: string }): this;
    match(topic: string): SubValue[];
    clear(): this;
  }
  export default QlobberSub;
}

declare module 'qlobber' {
  interface QlobberOptions {
    wildcard_one: string;
    wildcard_some: string;
    separator: string;
  }
  export class QlobberTrue {
    constructor(options: QlobberOptions);
    add(topic: string): this;
    test(topic: string): boolean;
  }
}
