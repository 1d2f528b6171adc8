/** First bytes of the acknowledgements of a PUBLISH, with the flags MQTT 3.1.1 requires (PUBREL's are 0010). */
export const ACK_FIRST_BYTES = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

export type AckCommand = keyof typeof ACK_FIRST_BYTES;
